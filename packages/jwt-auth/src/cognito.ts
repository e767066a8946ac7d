import type { Claims } from './claims.js'
import {
	ClientIdMismatchError,
	InvalidClaimError,
	MissingGroupError,
	TokenUseMismatchError,
} from './errors.js'

export interface CognitoRules {
	readonly tokenUse: 'id' | 'access' | null
	/** `null`: any app client. */
	readonly clientIds: ReadonlySet<string> | null
	/** `null`: no group required; otherwise the token must be in at least one. */
	readonly groups: readonly string[] | null
}

const poolIdPattern = /^[\w-]+_[0-9a-zA-Z]+$/
const regionPattern = /^[a-z]{2}(?:-[a-z]+)+-\d+$/

/** The region a user pool lives in: its id's prefix (`eu-west-1_AbC`), else `AWS_REGION`. */
export const cognitoRegion = (userPoolId: string): string | undefined => {
	const prefix = userPoolId.slice(0, userPoolId.indexOf('_'))
	return regionPattern.test(prefix) ? prefix : process.env.AWS_REGION || undefined
}

export const isUserPoolId = (value: unknown): value is string =>
	typeof value === 'string' && poolIdPattern.test(value)

/** The domain of AWS endpoints in a region's partition (China has one of its own). */
const awsDomain = (region: string): string =>
	region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'

/** The issuer of a pool's tokens with the original issuer configuration, and its JWKS's home. */
export const cognitoIssuer = (region: string, userPoolId: string): string =>
	`https://cognito-idp.${region}.${awsDomain(region)}/${userPoolId}`

/**
 * The issuer with the updated issuer configuration (recommended by AWS, required for
 * multi-Region replication): the same pool and keys under another host.
 */
export const cognitoUpdatedIssuer = (region: string, userPoolId: string): string =>
	`https://issuer-cognito-idp.${region}.${awsDomain(region)}/${userPoolId}`

/**
 * Cognito's own claims: `token_use` must be `id` or `access` (and the configured one), and
 * the app client is `client_id` in access tokens but `aud` in id tokens.
 */
export const checkCognitoToken = (claims: Claims, rules: CognitoRules): void => {
	const use = claims.token_use
	if (use !== 'id' && use !== 'access') throw new TokenUseMismatchError()
	if (rules.tokenUse !== null && use !== rules.tokenUse) throw new TokenUseMismatchError()
	if (rules.clientIds === null) return
	const client = use === 'access' ? claims.client_id : claims.aud
	if (typeof client !== 'string' || !rules.clientIds.has(client)) throw new ClientIdMismatchError()
}

/**
 * `cognito:groups` must contain one of the required groups (an authorisation failure: 403). Cognito
 * sends an array of strings, or no claim for a user in no group; anything else is a malformed token.
 */
export const checkCognitoGroups = (claims: Claims, rules: CognitoRules): void => {
	if (rules.groups === null) return
	const groups = claims['cognito:groups']
	if (groups === undefined) throw new MissingGroupError()
	if (!Array.isArray(groups) || !groups.every((group) => typeof group === 'string'))
		throw new InvalidClaimError('cognito:groups')
	const required = rules.groups
	if (!groups.some((group: string) => required.includes(group))) throw new MissingGroupError()
}
