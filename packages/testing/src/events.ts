import { randomUUID } from 'node:crypto'
import type {
	ALBEvent,
	APIGatewayProxyEvent,
	APIGatewayProxyEventV2,
	APIGatewayRequestAuthorizerEventV2,
	Context,
	LambdaFunctionURLEvent,
} from 'aws-lambda'

export interface HttpRequestSpec {
	method?: string
	/** Path with an optional `?query`; `query` is merged over it. */
	path?: string
	headers?: Record<string, string>
	query?: Record<string, string>
	pathParameters?: Record<string, string>
	/** Objects are sent as JSON; a Buffer is sent base64-encoded with `isBase64Encoded`. */
	body?: string | Buffer | Record<string, unknown> | unknown[]
	isBase64Encoded?: boolean
	requestId?: string
}

/** A claim's value as a token carries it. */
type JwtClaimValue = string | number | boolean | string[]

export type HttpApiAuthorizer =
	| { lambda: object }
	/** Claims as in the token; the event carries each as a string, as API Gateway passes them. */
	| { jwt: { claims: Record<string, JwtClaimValue>; scopes?: string[] } }
	| { iam: Record<string, unknown> }

export type RestApiAuthorizer =
	/** A Lambda (TOKEN/REQUEST) authorizer's context, flattened next to `principalId`. */
	| { lambda: Record<string, string | number | boolean> & { principalId?: string } }
	/** A Cognito user-pool authorizer's claims (all strings, as API Gateway passes them). */
	| { cognito: Record<string, string> }

/** One query parameter, decoded, and as sent (still URL-encoded). */
interface QueryPart {
	name: string
	value: string
	rawName: string
	rawValue: string
}

const decode = (text: string): string => {
	try {
		return decodeURIComponent(text.replaceAll('+', ' '))
	} catch {
		return text
	}
}

/**
 * The path and every query parameter in the order sent, repeats kept; `spec.query` replaces the
 * path's parameters of the same name. The raw query string is the one sent, as API Gateway
 * passes it (not re-encoded): everything after the first `?`.
 */
const splitPath = (spec: HttpRequestSpec) => {
	const path = spec.path ?? '/'
	const mark = path.indexOf('?')
	const rawPath = mark === -1 ? path : path.slice(0, mark)
	const overridden = new Set(Object.keys(spec.query ?? {}))
	const parts: QueryPart[] = []
	// The raw string keeps every segment sent but those `spec.query` replaces; an empty segment
	// (`?&&a=1`, a trailing `&`) names no parameter.
	const rawSegments: string[] = []
	for (const raw of mark === -1 ? [] : path.slice(mark + 1).split('&')) {
		const equals = raw.indexOf('=')
		const rawName = equals === -1 ? raw : raw.slice(0, equals)
		const rawValue = equals === -1 ? '' : raw.slice(equals + 1)
		const name = decode(rawName)
		if (overridden.has(name)) continue
		rawSegments.push(raw)
		if (raw !== '') parts.push({ name, value: decode(rawValue), rawName, rawValue })
	}
	for (const [name, value] of Object.entries(spec.query ?? {})) {
		const rawName = encodeURIComponent(name)
		const rawValue = encodeURIComponent(value)
		rawSegments.push(`${rawName}=${rawValue}`)
		parts.push({ name, value, rawName, rawValue })
	}
	return { rawPath: rawPath || '/', parts, rawQueryString: rawSegments.join('&') }
}

/** Every value of each parameter, decoded or (as an ALB passes them) as sent. */
const valuesByName = (parts: QueryPart[], raw = false): Record<string, string[]> => {
	const values = new Map<string, string[]>()
	for (const part of parts) {
		const [name, value] = raw ? [part.rawName, part.rawValue] : [part.name, part.value]
		values.set(name, [...(values.get(name) ?? []), value])
	}
	return Object.fromEntries(values)
}

/** One value per parameter: the last one sent (payload 1.0, ALB), or all joined by `,` (2.0). */
const singleValues = (
	values: Record<string, string[]>,
	pick: (all: string[]) => string,
): Record<string, string> =>
	Object.fromEntries(Object.entries(values).map(([name, all]) => [name, pick(all)]))

const lastValue = (all: string[]): string => all.at(-1) ?? ''
const joinedValues = (all: string[]): string => all.join(',')

const encodeBody = (
	spec: HttpRequestSpec,
): { body: string | null; isBase64Encoded: boolean; json: boolean } => {
	const { body } = spec
	if (body === undefined) return { body: null, isBase64Encoded: false, json: false }
	if (Buffer.isBuffer(body))
		return { body: body.toString('base64'), isBase64Encoded: true, json: false }
	if (typeof body === 'string') {
		return spec.isBase64Encoded
			? { body: Buffer.from(body).toString('base64'), isBase64Encoded: true, json: false }
			: { body, isBase64Encoded: false, json: false }
	}
	return { body: JSON.stringify(body), isBase64Encoded: false, json: true }
}

/** Every value of each header, names in lower case: one name in several spellings is sent twice. */
const headerValues = (headers: Record<string, string>): Record<string, string[]> => {
	const values = new Map<string, string[]>()
	for (const [name, value] of Object.entries(headers)) {
		const key = name.toLowerCase()
		values.set(key, [...(values.get(key) ?? []), value])
	}
	return Object.fromEntries(values)
}

/** Lower-case names, a repeated header joined by `,` (payload 2.0). */
const lowerCaseKeys = (headers: Record<string, string>): Record<string, string> =>
	singleValues(headerValues(headers), joinedValues)

const withContentType = (headers: Record<string, string>, json: boolean): Record<string, string> =>
	json && !Object.keys(headers).some((name) => name.toLowerCase() === 'content-type')
		? { ...headers, 'content-type': 'application/json' }
		: headers

const epochNow = () => Date.now()

const monthNames = [
	'Jan',
	'Feb',
	'Mar',
	'Apr',
	'May',
	'Jun',
	'Jul',
	'Aug',
	'Sep',
	'Oct',
	'Nov',
	'Dec',
]

/** An instant as API Gateway writes `time` and `requestTime`: `12/Mar/2020:19:03:58 +0000`. */
const apiGatewayTime = (epochMs: number): string => {
	const at = new Date(epochMs)
	const two = (value: number) => String(value).padStart(2, '0')
	return `${two(at.getUTCDate())}/${monthNames[at.getUTCMonth()]}/${at.getUTCFullYear()}:${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())} +0000`
}

/**
 * A JWT claim as an HTTP API JWT authorizer hands it to the integration: always a string,
 * numbers and booleans printed and an array as `[a b]`, whatever its JSON type in the token.
 */
const claimAsPassed = (value: JwtClaimValue): string =>
	Array.isArray(value) ? `[${value.join(' ')}]` : String(value)

/** The authorizer as it reaches the integration: a JWT authorizer's claims become strings. */
const httpApiAuthorizerContext = (authorizer: HttpApiAuthorizer): HttpApiAuthorizer =>
	'jwt' in authorizer
		? {
				jwt: {
					...authorizer.jwt,
					claims: Object.fromEntries(
						Object.entries(authorizer.jwt.claims).map(([name, value]) => [
							name,
							claimAsPassed(value),
						]),
					),
				},
			}
		: authorizer

/** An API Gateway HTTP API (payload 2.0) event. */
export const httpApiEvent = (
	spec: HttpRequestSpec & { authorizer?: HttpApiAuthorizer; routeKey?: string } = {},
): APIGatewayProxyEventV2 => payloadV2Event(spec, false)

/**
 * The payload 2.0 shape. HTTP APIs move the `cookie` header into `cookies`; Function URLs fill
 * `cookies` and keep the header too. Duplicate query parameters are joined by `,`.
 */
const payloadV2Event = (
	spec: HttpRequestSpec & { authorizer?: HttpApiAuthorizer; routeKey?: string },
	keepCookieHeader: boolean,
): APIGatewayProxyEventV2 => {
	const method = (spec.method ?? 'GET').toUpperCase()
	const { rawPath, parts, rawQueryString } = splitPath(spec)
	const query = singleValues(valuesByName(parts), joinedValues)
	const { body, isBase64Encoded, json } = encodeBody(spec)
	const { cookie, ...otherHeaders } = lowerCaseKeys(withContentType(spec.headers ?? {}, json))
	const headers =
		keepCookieHeader && cookie !== undefined ? { ...otherHeaders, cookie } : otherHeaders
	const cookies = cookie?.split(';').map((each) => each.trim())
	const requestId = spec.requestId ?? randomUUID()
	const receivedAt = epochNow()
	const event: APIGatewayProxyEventV2 & { requestContext: { authorizer?: HttpApiAuthorizer } } = {
		version: '2.0',
		routeKey: spec.routeKey ?? `${method} ${rawPath}`,
		rawPath,
		rawQueryString,
		...(cookies ? { cookies } : {}),
		headers,
		...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
		...(spec.pathParameters ? { pathParameters: spec.pathParameters } : {}),
		requestContext: {
			accountId: '000000000000',
			apiId: 'local',
			domainName: 'local.execute-api.us-east-1.amazonaws.com',
			domainPrefix: 'local',
			http: {
				method,
				path: rawPath,
				protocol: 'HTTP/1.1',
				sourceIp: '127.0.0.1',
				userAgent: headers['user-agent'] ?? 'tenantry-testing',
			},
			requestId,
			routeKey: spec.routeKey ?? `${method} ${rawPath}`,
			stage: '$default',
			time: apiGatewayTime(receivedAt),
			timeEpoch: receivedAt,
			...(spec.authorizer ? { authorizer: httpApiAuthorizerContext(spec.authorizer) } : {}),
		},
		isBase64Encoded,
		...(body === null ? {} : { body }),
	}
	return event
}

/**
 * What an HTTP API Lambda authorizer (payload 2.0) receives for a request: the request's
 * headers, path and query, plus `identitySource` (the `Authorization` header by default).
 */
export const httpApiAuthorizerEvent = (
	spec: HttpRequestSpec & { routeKey?: string; identitySource?: string[] } = {},
): APIGatewayRequestAuthorizerEventV2 => {
	const request = httpApiEvent(spec)
	const routeKey = request.routeKey
	return {
		version: '2.0',
		type: 'REQUEST',
		routeArn: `arn:aws:execute-api:us-east-1:000000000000:local/$default/${routeKey.replace(' ', '')}`,
		identitySource:
			spec.identitySource ?? (request.headers.authorization ? [request.headers.authorization] : []),
		routeKey,
		rawPath: request.rawPath,
		rawQueryString: request.rawQueryString,
		cookies: request.cookies ?? [],
		headers: request.headers,
		...(request.queryStringParameters
			? { queryStringParameters: request.queryStringParameters as Record<string, string> }
			: {}),
		...(request.pathParameters
			? { pathParameters: request.pathParameters as Record<string, string> }
			: {}),
		requestContext: request.requestContext,
	}
}

/**
 * A Lambda Function URL event (payload 2.0, no routes, optional IAM authorizer). Without routes
 * there are no path parameters: the spec's type leaves them out, and a spec built for every
 * gateway that holds them has them dropped, so a chain that needs them is tested as it would run
 * behind a function URL.
 */
export const functionUrlEvent = (
	spec: Omit<HttpRequestSpec, 'pathParameters'> = {},
): LambdaFunctionURLEvent => {
	const event = payloadV2Event({ ...spec, pathParameters: undefined }, true)
	return {
		...event,
		routeKey: '$default',
		requestContext: { ...event.requestContext, routeKey: '$default' },
	}
}

/** An API Gateway REST API (payload 1.0) proxy event, with `multiValueHeaders`. */
export const restApiEvent = (
	spec: HttpRequestSpec & { authorizer?: RestApiAuthorizer; resource?: string } = {},
): APIGatewayProxyEvent => {
	const method = (spec.method ?? 'GET').toUpperCase()
	const { rawPath, parts } = splitPath(spec)
	const multiQuery = valuesByName(parts)
	const { body, isBase64Encoded, json } = encodeBody(spec)
	const headers = withContentType(spec.headers ?? {}, json)
	const requestId = spec.requestId ?? randomUUID()
	const receivedAt = epochNow()
	// A REST Lambda authorizer's context reaches the integration with every value a string.
	const authorizer =
		spec.authorizer === undefined
			? undefined
			: 'cognito' in spec.authorizer
				? { claims: spec.authorizer.cognito }
				: {
						principalId: 'user',
						integrationLatency: 0,
						...Object.fromEntries(
							Object.entries(spec.authorizer.lambda).map(([key, value]) => [key, String(value)]),
						),
					}
	const hasQuery = parts.length > 0
	return {
		resource: spec.resource ?? rawPath,
		path: rawPath,
		httpMethod: method,
		headers,
		multiValueHeaders: Object.fromEntries(
			Object.entries(headers).map(([name, value]) => [name, [value]]),
		),
		queryStringParameters: hasQuery ? singleValues(multiQuery, lastValue) : null,
		multiValueQueryStringParameters: hasQuery ? multiQuery : null,
		pathParameters: spec.pathParameters ?? null,
		stageVariables: null,
		requestContext: {
			accountId: '000000000000',
			apiId: 'local',
			authorizer,
			httpMethod: method,
			identity: {
				accessKey: null,
				accountId: null,
				apiKey: null,
				apiKeyId: null,
				caller: null,
				clientCert: null,
				cognitoAuthenticationProvider: null,
				cognitoAuthenticationType: null,
				cognitoIdentityId: null,
				cognitoIdentityPoolId: null,
				principalOrgId: null,
				sourceIp: '127.0.0.1',
				user: null,
				// The User-Agent header, in whichever spelling the client sent it.
				userAgent: headerValues(headers)['user-agent']?.at(-1) ?? 'tenantry-testing',
				userArn: null,
			},
			path: `/prod${rawPath}`,
			protocol: 'HTTP/1.1',
			requestId,
			requestTime: apiGatewayTime(receivedAt),
			requestTimeEpoch: receivedAt,
			resourceId: 'local',
			resourcePath: spec.resource ?? rawPath,
			stage: 'prod',
		},
		body,
		isBase64Encoded,
	}
}

/** An Application Load Balancer event; `multiValue` mirrors a target group with multi-value headers on. */
export const albEvent = (spec: HttpRequestSpec & { multiValue?: boolean } = {}): ALBEvent => {
	const { rawPath, parts } = splitPath(spec)
	// The load balancer passes query parameters as sent, URL-encoded.
	const query = valuesByName(parts, true)
	const { body, isBase64Encoded, json } = encodeBody(spec)
	const headers = headerValues(withContentType(spec.headers ?? {}, json))
	const base = {
		requestContext: {
			elb: {
				targetGroupArn:
					'arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/local/0000000000000000',
			},
		},
		httpMethod: (spec.method ?? 'GET').toUpperCase(),
		path: rawPath,
		body: body ?? '',
		isBase64Encoded,
	}
	// Without multi-value headers the load balancer keeps the last value of a repeated one.
	return spec.multiValue
		? { ...base, multiValueHeaders: headers, multiValueQueryStringParameters: query }
		: {
				...base,
				headers: singleValues(headers, lastValue),
				queryStringParameters: singleValues(query, lastValue),
			}
}

/**
 * A Lambda `context` with a fresh request id and a remaining time that counts down. Its type is
 * the context of the handler it is passed to: a middy handler's type includes what its
 * middlewares add to `context` (`auth`, `tenant`, `clients`), which they set during the call.
 */
export const lambdaContext = <TContext extends Context = Context>(
	overrides: Partial<Context> = {},
): TContext => {
	const deadline = Date.now() + 30_000
	const functionName = overrides.functionName ?? 'tenantry-local'
	return {
		callbackWaitsForEmptyEventLoop: true,
		functionName,
		functionVersion: '$LATEST',
		invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
		memoryLimitInMB: '1024',
		awsRequestId: randomUUID(),
		logGroupName: `/aws/lambda/${functionName}`,
		logStreamName: `2026/01/01/[$LATEST]${randomUUID().replaceAll('-', '')}`,
		getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
		done: () => undefined,
		fail: () => undefined,
		succeed: () => undefined,
		...overrides,
	} as TContext
}
