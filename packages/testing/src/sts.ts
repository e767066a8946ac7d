import { randomUUID } from 'node:crypto'
import type { ServerResponse } from 'node:http'
import { STSClient, type STSClientConfig } from '@aws-sdk/client-sts'
import { accessKeyIdOf, localAccountId, randomId } from './credentials.js'
import { answerCommonFault, createFaultPlan, type Fault, type FaultControl } from './faults.js'
import { localClients } from './local-clients.js'
import { startHttpServer } from './loopback-server.js'

export interface AssumeRoleCall {
	roleArn: string
	roleSessionName: string
	durationSeconds: number
	/** Session tags, e.g. `{ tenant_id: 'acme' }`. */
	tags: Record<string, string>
	transitiveTagKeys: string[]
	policy: string | undefined
	/** The credentials handed out. */
	accessKeyId: string
	expiration: Date
}

export interface LocalSts {
	readonly endpoint: string
	readonly region: string
	client(config?: STSClientConfig): STSClient
	/** Every successful `AssumeRole`, oldest first. */
	readonly assumeRoleCalls: readonly AssumeRoleCall[]
	/** The call that issued these credentials: tells which tenant a signed request acted for. */
	callForAccessKey(accessKeyId: string | undefined): AssumeRoleCall | undefined
	resetCalls(): void
	/** By RoleArn: throttle, server-error, access-denied, delay, malformed, down. */
	readonly faults: FaultControl
	stop(): Promise<void>
}

export interface StartStsOptions {
	region?: string
	/** Clock for `Expiration`, so tests with fake time get credentials that expire on it. */
	now?: () => number
	/**
	 * The role's `MaxSessionDuration` (3,600–43,200 s): the most `DurationSeconds` may ask.
	 * Default 3,600, as IAM gives a role that does not set it.
	 */
	maxSessionDuration?: number
}

const xmlEscape = (value: string): string =>
	value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)

/** An answer's XML, given the request id its header carries too. */
type XmlAnswer = (requestId: string) => string

const errorXml =
	(type: 'Sender' | 'Receiver', code: string, message: string): XmlAnswer =>
	(requestId) =>
		`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`

/** Reads `Prefix.member.N.Field` entries of an awsQuery list. */
const queryList = (params: URLSearchParams, prefix: string, field?: string): string[] => {
	const values: string[] = []
	for (let n = 1; ; n++) {
		const value = params.get(field ? `${prefix}.member.${n}.${field}` : `${prefix}.member.${n}`)
		if (value === null) return values
		values.push(value)
	}
}

/** The Policy parameter's pattern: tab, line feed, carriage return and \u0020-\u00FF. */
const policyPattern = {
	test: (policy: string): boolean =>
		[...policy].every((c) => {
			const code = c.codePointAt(0) ?? 0
			return code === 0x09 || code === 0x0a || code === 0x0d || (code >= 0x20 && code <= 0xff)
		}),
}

/** A JSON object with a `Statement` (one or a list of objects), as IAM parses a policy. */
const isPolicyDocument = (policy: string): boolean => {
	let document: unknown
	try {
		document = JSON.parse(policy)
	} catch {
		return false
	}
	if (typeof document !== 'object' || document === null || Array.isArray(document)) return false
	const statement = (document as { Statement?: unknown }).Statement
	const statements = Array.isArray(statement) ? statement : [statement]
	return (
		statements.length > 0 &&
		statements.every((s) => typeof s === 'object' && s !== null && !Array.isArray(s))
	)
}

const sessionNamePattern = /^[\w+=,.@-]{2,64}$/
const tagPattern = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u

/**
 * An STS endpoint speaking the real awsQuery protocol (form-encoded request, XML answer)
 * for `AssumeRole`. It validates what real STS validates (session name, duration, tags)
 * and records each call with its session tags.
 */
export const startSts = async (options: StartStsOptions = {}): Promise<LocalSts> => {
	const region = options.region ?? 'us-east-1'
	const now = options.now ?? (() => Date.now())
	const maxSessionDuration = options.maxSessionDuration ?? 3_600
	const calls: AssumeRoleCall[] = []
	const faults = createFaultPlan()
	const stopping = new AbortController()

	const sendXml = (response: ServerResponse, status: number, answer: XmlAnswer): void => {
		const requestId = randomUUID()
		const xml = answer(requestId)
		response.writeHead(status, {
			'Content-Type': 'text/xml',
			'Content-Length': Buffer.byteLength(xml),
			// Where the SDK reads `$metadata.requestId` from; the XML names the same request.
			'x-amzn-RequestId': requestId,
		})
		response.end(xml)
	}

	const answerFault = async (fault: Fault, response: ServerResponse): Promise<boolean> => {
		const common = await answerCommonFault(
			fault,
			response,
			faults.delayEnds(stopping.signal),
			(late) => answerFault(late, response),
		)
		if (common !== undefined) return common
		switch (fault.type) {
			case 'throttle':
				sendXml(response, 400, errorXml('Sender', 'Throttling', 'Rate exceeded'))
				return true
			case 'server-error':
				sendXml(
					response,
					500,
					errorXml('Receiver', 'InternalFailure', 'An internal error occurred.'),
				)
				return true
			case 'access-denied':
			case 'not-found':
				sendXml(
					response,
					403,
					errorXml('Sender', 'AccessDenied', 'User is not authorized to perform: sts:AssumeRole'),
				)
				return true
			case 'malformed':
				sendXml(response, 200, () => '<AssumeRoleResponse><AssumeRoleResult><Credentials>')
				return true
			case 'oversized':
				sendXml(
					response,
					200,
					() => `<AssumeRoleResponse>${' '.repeat(fault.bytes ?? 1_048_576)}</AssumeRoleResponse>`,
				)
				return true
			default:
				return false
		}
	}

	const validationError = (response: ServerResponse, message: string) =>
		sendXml(response, 400, errorXml('Sender', 'ValidationError', message))

	const server = await startHttpServer(async (request, body, response) => {
		const params = new URLSearchParams(body.toString())
		if (
			request.method !== 'POST' ||
			params.get('Action') !== 'AssumeRole' ||
			params.get('Version') !== '2011-06-15'
		) {
			sendXml(
				response,
				400,
				errorXml('Sender', 'InvalidAction', `Could not find operation ${params.get('Action')}`),
			)
			return
		}
		const roleArn = params.get('RoleArn') ?? ''
		const fault = faults.take(roleArn, 'AssumeRole')
		if (fault && (await answerFault(fault, response))) return

		const roleSessionName = params.get('RoleSessionName') ?? ''
		const durationSeconds = Number(params.get('DurationSeconds') ?? 3600)
		const tagKeys = queryList(params, 'Tags', 'Key')
		const tagValues = queryList(params, 'Tags', 'Value')
		if (!/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(roleArn)) {
			return validationError(response, `Invalid RoleArn: ${roleArn}`)
		}
		if (!sessionNamePattern.test(roleSessionName)) {
			return validationError(response, "Value at 'roleSessionName' failed to satisfy constraint")
		}
		if (!Number.isInteger(durationSeconds) || durationSeconds < 900 || durationSeconds > 43_200) {
			return validationError(response, "Value at 'durationSeconds' failed to satisfy constraint")
		}
		if (durationSeconds > maxSessionDuration) {
			return validationError(
				response,
				'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
			)
		}
		// Role chaining (signed with a role session's temporary key, as a Lambda function's are)
		// is limited to an hour.
		if (
			accessKeyIdOf(request.headers.authorization)?.startsWith('ASIA') &&
			durationSeconds > 3_600
		) {
			return validationError(
				response,
				'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
			)
		}
		const policy = params.get('Policy') ?? undefined
		if (
			policy !== undefined &&
			(policy.length === 0 || policy.length > 2_048 || !policyPattern.test(policy))
		) {
			return validationError(response, "Value at 'policy' failed to satisfy constraint")
		}
		if (policy !== undefined && !isPolicyDocument(policy)) {
			return sendXml(
				response,
				400,
				errorXml(
					'Sender',
					'MalformedPolicyDocument',
					'The policy is not in the valid JSON format.',
				),
			)
		}
		if (tagKeys.length > 50 || tagKeys.length !== tagValues.length) {
			return validationError(response, "Value at 'tags' failed to satisfy constraint")
		}
		const tags: Record<string, string> = {}
		for (const [index, key] of tagKeys.entries()) {
			const value = tagValues[index] ?? ''
			const lowerKeys = Object.keys(tags).map((k) => k.toLowerCase())
			if (
				key.length === 0 ||
				key.length > 128 ||
				value.length > 256 ||
				!tagPattern.test(key) ||
				!tagPattern.test(value)
			) {
				return validationError(response, "Value at 'tags' failed to satisfy constraint")
			}
			if (lowerKeys.includes(key.toLowerCase())) {
				return validationError(
					response,
					'Duplicate tag keys found. Please note that Tag keys are case insensitive.',
				)
			}
			tags[key] = value
		}

		const accessKeyId = `ASIA${randomId(16)}`
		const expiration = new Date(Math.floor(now() / 1000) * 1000 + durationSeconds * 1000)
		calls.push({
			roleArn,
			roleSessionName,
			durationSeconds,
			tags,
			transitiveTagKeys: queryList(params, 'TransitiveTagKeys'),
			policy,
			accessKeyId,
			expiration,
		})
		const roleName = roleArn.split('/').pop() ?? 'role'
		sendXml(
			response,
			200,
			(requestId) =>
				`<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><AssumedRoleUser><Arn>arn:aws:sts::${localAccountId}:assumed-role/${xmlEscape(roleName)}/${xmlEscape(roleSessionName)}</Arn><AssumedRoleId>AROA${randomId(16)}:${xmlEscape(roleSessionName)}</AssumedRoleId></AssumedRoleUser><Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${randomId(40)}</SecretAccessKey><SessionToken>${randomId(64)}</SessionToken><Expiration>${expiration.toISOString()}</Expiration></Credentials><PackedPolicySize>${tagKeys.length}</PackedPolicySize></AssumeRoleResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
		)
	})

	const clients = localClients((config: STSClientConfig) => new STSClient(config), {
		region,
		endpoint: server.url,
	})

	return {
		endpoint: server.url,
		region,
		client: clients.client,
		get assumeRoleCalls() {
			return calls
		},
		callForAccessKey: (accessKeyId) => calls.find((call) => call.accessKeyId === accessKeyId),
		resetCalls() {
			calls.length = 0
		},
		faults,
		async stop() {
			stopping.abort()
			clients.destroyAll()
			await server.close()
		},
	}
}
