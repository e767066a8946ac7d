import { own } from '@tenantry/util'
import type { Context } from 'aws-lambda'

/** The built-in places a request's tenant is read from, in the order they are read. */
export type TenantSourceName =
	| 'auth'
	| 'restAuthorizer'
	| 'cognitoAuthorizer'
	| 'httpLambdaAuthorizer'
	| 'httpJwtAuthorizer'
	| 'lambdaContext'

export const sourceNames: readonly TenantSourceName[] = [
	'auth',
	'restAuthorizer',
	'cognitoAuthorizer',
	'httpLambdaAuthorizer',
	'httpJwtAuthorizer',
	'lambdaContext',
]

export interface SourceReader {
	readonly name: TenantSourceName | 'resolve'
	/**
	 * Whether this source may establish the tenant on its own. Lambda's `context.tenantId`
	 * is chosen by whoever invokes the function (API Gateway may map it from a client
	 * header), so it is only checked against the others.
	 */
	readonly establishes: boolean
	read(event: unknown, context: Context): unknown
}

const authorizerOf = (event: unknown): unknown => own(own(event, 'requestContext'), 'authorizer')

/** Builds the readers once, at factory time, for the sources asked for. */
export const createSourceReaders = (
	names: readonly TenantSourceName[],
	authorizerField: string,
	claim: string,
): SourceReader[] => {
	const readers: Record<TenantSourceName, SourceReader> = {
		auth: {
			name: 'auth',
			establishes: true,
			read: (_event, context) => own(own(context, 'auth'), 'tenantId'),
		},
		restAuthorizer: {
			name: 'restAuthorizer',
			establishes: true,
			read: (event) => own(authorizerOf(event), authorizerField),
		},
		cognitoAuthorizer: {
			name: 'cognitoAuthorizer',
			establishes: true,
			read: (event) => own(own(authorizerOf(event), 'claims'), claim),
		},
		httpLambdaAuthorizer: {
			name: 'httpLambdaAuthorizer',
			establishes: true,
			read: (event) => own(own(authorizerOf(event), 'lambda'), authorizerField),
		},
		httpJwtAuthorizer: {
			name: 'httpJwtAuthorizer',
			establishes: true,
			read: (event) => own(own(own(authorizerOf(event), 'jwt'), 'claims'), claim),
		},
		lambdaContext: {
			name: 'lambdaContext',
			establishes: false,
			read: (_event, context) => own(context, 'tenantId'),
		},
	}
	return sourceNames.filter((name) => names.includes(name)).map((name) => readers[name])
}
