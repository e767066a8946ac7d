import type { AssumeRoleCommand } from '@aws-sdk/client-sts'
import { createTtlCache } from '@tenantry/cache'
import {
	isPromiseLike,
	misconfigured,
	returnedPromise,
	serviceUnavailable,
	type TenantContext,
} from '@tenantry/util'
import { packageName, TenantCredentialsUnavailableError } from './errors.js'
import type { RequestFactsSlot } from './request-facts.js'
import { roleSessionName } from './session-name.js'

/** The slice of an `STSClient` used: `send(new AssumeRoleCommand(…))`. */
export interface StsClientLike {
	send(command: never): Promise<unknown>
}

export interface TenantCredentialsOptions {
	/** The role every tenant assumes; its policies scope data by the `tenant_id` session tag. */
	roleArn: string
	/** Session tags added to `tenant_id` (which they may not replace). */
	sessionTags?: ((tenant: TenantContext) => Readonly<Record<string, string>>) | undefined
	/** An inline session policy further restricting the tenant's session (token vending machine style). */
	sessionPolicy?: ((tenant: TenantContext) => string | undefined) | undefined
	/** `DurationSeconds` of `AssumeRole`, 900–3,600 (role chaining from a Lambda role caps it). Default 900. */
	durationSeconds?: number | undefined
	/** Credentials are replaced this long before they expire. Default 300,000 (5 min). */
	refreshBeforeExpiryMs?: number | undefined
	/** `Retry-After` of the 503 sent when STS fails. Default 5. */
	retryAfterSec?: number | undefined
	/** The STS client to call. Default: an `STSClient` built with the shared `config`. */
	sts?: StsClientLike | undefined
	/** How many tenants' credentials the container keeps. Default 1,000. */
	maxTenants?: number | undefined
}

export type ResolvedTenantCredentials = Required<
	Omit<TenantCredentialsOptions, 'sessionTags' | 'sessionPolicy' | 'sts'>
> &
	Pick<TenantCredentialsOptions, 'sessionTags' | 'sessionPolicy' | 'sts'>

/** Every option but the required `roleArn`; `undefined`: none (`sts`: built from `config`). */
export const tenantCredentialsDefaults = {
	sessionTags: undefined,
	sessionPolicy: undefined,
	durationSeconds: 900,
	refreshBeforeExpiryMs: 300_000,
	retryAfterSec: 5,
	sts: undefined,
	maxTenants: 1_000,
} as const

export interface TenantCredentials {
	accessKeyId: string
	secretAccessKey: string
	sessionToken: string
	expiration: Date
}

interface AssumeRoleOutput {
	Credentials?: {
		AccessKeyId?: string
		SecretAccessKey?: string
		SessionToken?: string
		Expiration?: Date
	}
}

interface Issued {
	/** What the SDK gets; its `expiration` is when the SDK should ask again (see below). */
	credentials: TenantCredentials
	/** The session's real `Expiration`, in ms. */
	expiresAt: number
}

/** The SDK asks its credential provider again this long before `expiration` (`@smithy/core`). */
const sdkRefreshWindowMs = 300_000

export interface TenantCredentialSource {
	/** The credential provider for the clients of one tenant. */
	providerFor(tenant: TenantContext): () => Promise<TenantCredentials>
}

/**
 * Per-tenant credentials from STS `AssumeRole` with the session tag `tenant_id`, cached
 * per tenant (single-flight: concurrent first requests of a tenant make one call) and
 * replaced `refreshBeforeExpiryMs` before they expire, in the background: requests in that
 * window keep the previous credentials, still valid, rather than wait for STS. While STS fails
 * they keep being served, and STS is asked again only every `retryAfterSec`; past their
 * `Expiration`, 503.
 */
export const createTenantCredentialSource = (
	options: ResolvedTenantCredentials,
	facts: RequestFactsSlot,
	sts: () => Promise<StsClientLike>,
	assumeRoleCommand: () => Promise<typeof AssumeRoleCommand>,
	/** Starts a background refresh, e.g. outside the invocation's trace; default: as it is. */
	startRefresh?: <T>(start: () => T) => T,
): TenantCredentialSource => {
	const { durationSeconds, refreshBeforeExpiryMs, retryAfterSec } = options
	const cache = createTtlCache<Issued>({
		ttlMs: durationSeconds * 1_000 - refreshBeforeExpiryMs,
		staleIfErrorMs: refreshBeforeExpiryMs,
		// After a failed AssumeRole, requests get the still-valid session (or a fast 503) without
		// each waiting on STS again; the SDK resolves credentials several times per send.
		failureBackoffMs: retryAfterSec * 1_000,
		maxEntries: options.maxTenants,
	})

	const tagsFor = (tenant: TenantContext): { Key: string; Value: string }[] => {
		const extra = options.sessionTags?.(tenant) ?? {}
		if (isPromiseLike(extra))
			throw returnedPromise(packageName, 'tenantCredentials.sessionTags', extra)
		if (Object.keys(extra).some((key) => key.toLowerCase() === 'tenant_id')) {
			throw misconfigured(`${packageName}: tenantCredentials.sessionTags may not set tenant_id`)
		}
		return [
			{ Key: 'tenant_id', Value: tenant.id },
			...Object.entries(extra).map(([Key, Value]) => ({ Key, Value })),
		]
	}

	const assume = async (tenant: TenantContext): Promise<Issued> => {
		const Tags = tagsFor(tenant)
		const Policy = options.sessionPolicy?.(tenant)
		if (isPromiseLike(Policy))
			throw returnedPromise(packageName, 'tenantCredentials.sessionPolicy', Policy)
		let output: AssumeRoleOutput
		try {
			const [client, AssumeRoleCommand] = await Promise.all([sts(), assumeRoleCommand()])
			output = (await client.send(
				new AssumeRoleCommand({
					RoleArn: options.roleArn,
					RoleSessionName: roleSessionName(tenant.id, facts.current().requestId),
					DurationSeconds: durationSeconds,
					Tags,
					...(Policy === undefined ? {} : { Policy }),
				}) as never,
			)) as AssumeRoleOutput
		} catch (error) {
			throw serviceUnavailable(
				retryAfterSec,
				new TenantCredentialsUnavailableError(error, tenant.id, options.roleArn),
			)
		}
		const issued = output.Credentials
		const expiration = issued?.Expiration
		if (
			!issued?.AccessKeyId ||
			!issued.SecretAccessKey ||
			!issued.SessionToken ||
			!(expiration instanceof Date)
		) {
			throw serviceUnavailable(
				retryAfterSec,
				new TenantCredentialsUnavailableError(
					new Error('AssumeRole returned no credentials'),
					tenant.id,
					options.roleArn,
				),
			)
		}
		const expiresAt = expiration.getTime()
		// The SDK memoises credentials until 5 minutes before the expiration it is given. Give
		// it one that makes it ask exactly when this cache refreshes, never later than the real.
		const askAgainAt = Math.min(expiresAt, expiresAt - refreshBeforeExpiryMs + sdkRefreshWindowMs)
		return {
			credentials: {
				accessKeyId: issued.AccessKeyId,
				secretAccessKey: issued.SecretAccessKey,
				sessionToken: issued.SessionToken,
				expiration: new Date(askAgainAt),
			},
			expiresAt,
		}
	}

	const expired = (tenant: TenantContext) =>
		serviceUnavailable(
			retryAfterSec,
			new TenantCredentialsUnavailableError(
				new Error('the tenant credentials expired'),
				tenant.id,
				options.roleArn,
			),
		)

	// The refresh outlives the request that found the session old; none waits for it.
	const inBackground = { refreshInBackground: true, startRefresh }

	return {
		providerFor(tenant) {
			const load = () => assume(tenant)
			return async () => {
				// In the refresh window the session is still valid: requests keep it while the new
				// one is assumed in the background, so a slow STS delays none of them.
				let issued = await cache.get(tenant.id, load, inBackground)
				// The cache counts validity from when the session reached us, STS from when it was
				// issued: a session just past its real Expiration waits for the refresh instead.
				if (Date.now() >= issued.expiresAt)
					issued = await cache.get(tenant.id, load, { maxAgeMs: 0 })
				// Served stale while STS fails: only as long as it is still valid.
				if (Date.now() >= issued.expiresAt) throw expired(tenant)
				return issued.credentials
			}
		},
	}
}
