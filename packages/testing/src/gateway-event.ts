import type {
	ALBEvent,
	APIGatewayProxyEvent,
	APIGatewayProxyEventV2,
	LambdaFunctionURLEvent,
} from 'aws-lambda'
import {
	albEvent,
	functionUrlEvent,
	type HttpRequestSpec,
	httpApiEvent,
	restApiEvent,
} from './events.js'

/**
 * What puts an HTTP request in front of a Lambda function: an HTTP API (payload 2.0), a Function
 * URL, a REST API (payload 1.0), an ALB target group with multi-value headers off or on.
 */
export type Gateway = 'http' | 'url' | 'rest' | 'alb' | 'alb-multi'

export const gateways: readonly Gateway[] = ['http', 'url', 'rest', 'alb', 'alb-multi']

export type GatewayEvent =
	| APIGatewayProxyEventV2
	| LambdaFunctionURLEvent
	| APIGatewayProxyEvent
	| ALBEvent

/** How a client spells a header name; only a REST API event keeps it, the others lower-case it. */
export type HeaderCasing = 'lower' | 'title' | 'upper'

export const spellHeaderName = (name: string, casing: HeaderCasing): string => {
	if (casing === 'upper') return name.toUpperCase()
	if (casing === 'lower') return name.toLowerCase()
	return name.replace(
		/(^|-)([a-z])/g,
		(_, dash: string, letter: string) => dash + letter.toUpperCase(),
	)
}

/** The request as `gateway` delivers it, its header names spelled as `casing` says. */
export const gatewayEvent = (
	gateway: Gateway,
	spec: HttpRequestSpec,
	casing: HeaderCasing = 'lower',
): GatewayEvent => {
	const headers =
		spec.headers === undefined
			? undefined
			: Object.fromEntries(
					Object.entries(spec.headers).map(([name, value]) => [
						spellHeaderName(name, casing),
						value,
					]),
				)
	const spelled = headers === undefined ? spec : { ...spec, headers }
	switch (gateway) {
		case 'http':
			return httpApiEvent(spelled)
		case 'url':
			return functionUrlEvent(spelled)
		case 'rest':
			return restApiEvent(spelled)
		case 'alb':
			return albEvent(spelled)
		case 'alb-multi':
			return albEvent({ ...spelled, multiValue: true })
	}
}
