// The event type `jwtAuth()` adds, named from here for users' emitted declarations (as
// tenant-isolation does with its context type).
export type { HttpEventLike } from '@tenantry/util'
export { allAlgorithms as supportedAlgorithms, type JwsAlgorithm } from './algorithms.js'
export * from './errors.js'
export type { CookieFetchSite } from './fetch-site.js'
export { jwtAuth } from './jwt-auth.js'
export {
	type CognitoOptions,
	defaults,
	type IssuerOptions,
	type JwksOptions,
	type JwtAuthOptions,
} from './options.js'
export type { TokenSource } from './token-source.js'
export type { JWTPayload, JwtAuth, WithJwtAuth } from './types.js'
