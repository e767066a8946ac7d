import type { Context } from 'aws-lambda'
import type { HeaderSource } from './headers.js'

/**
 * The fields Tenantry reads from API Gateway REST (v1), HTTP API (v2), ALB and Function URL
 * events. Everything is optional: a hostile or mis-routed event must not throw a TypeError.
 */
export interface HttpEventLike extends HeaderSource {
	body?: unknown
	isBase64Encoded?: boolean
	rawPath?: string
	path?: string
	httpMethod?: string
	cookies?: string[] | null
	pathParameters?: Record<string, string | undefined> | null
	queryStringParameters?: Record<string, string | undefined> | null
	multiValueQueryStringParameters?: Record<string, string[] | undefined> | null
	requestContext?: {
		requestId?: string
		http?: { method?: string; path?: string }
		authorizer?: unknown
	}
}

export const requestIdOf = (
	event: HttpEventLike | undefined,
	context?: Partial<Context>,
): string | undefined => event?.requestContext?.requestId ?? context?.awsRequestId

export const pathOf = (event: HttpEventLike | undefined): string | undefined =>
	event?.rawPath ?? event?.requestContext?.http?.path ?? event?.path

export const methodOf = (event: HttpEventLike | undefined): string | undefined =>
	event?.requestContext?.http?.method ?? event?.httpMethod
