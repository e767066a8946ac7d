import { localCredentials } from './credentials.js'
import { type LocalDynamoDb, startDynamoDb } from './dynamodb.js'
import {
	type LocalIdentityProvider,
	type StartIdentityProviderOptions,
	startIdentityProvider,
} from './identity-provider.js'
import { type LocalSecretsManager, startSecretsManager } from './secrets-manager.js'
import { type LocalSts, type StartStsOptions, startSts } from './sts.js'
import { startXrayCapture, type XrayCapture } from './xray-capture.js'

export interface LocalStackOptions {
	/** Default `us-east-1`. */
	region?: string
	identityProvider?: StartIdentityProviderOptions
	sts?: Omit<StartStsOptions, 'region'>
}

export interface LocalStack {
	readonly region: string
	readonly dynamodb: LocalDynamoDb
	readonly secretsManager: LocalSecretsManager
	readonly sts: LocalSts
	readonly identityProvider: LocalIdentityProvider
	readonly xray: XrayCapture
	/**
	 * Environment that points SDK clients built without an `endpoint` (and the X-Ray SDK)
	 * at this stack: `AWS_ENDPOINT_URL_<SERVICE>`, region, credentials, daemon address; with
	 * `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`, `AWS_USE_FIPS_ENDPOINT` and
	 * `AWS_USE_DUALSTACK_ENDPOINT` set to `false`, and the SDK's retry defaults pinned
	 * (`AWS_MAX_ATTEMPTS=3`, `AWS_RETRY_MODE=standard`).
	 */
	readonly env: Readonly<Record<string, string>>
	/**
	 * Copies `env` into `process.env` and removes `AWS_PROFILE` and `AWS_SESSION_TOKEN`, which
	 * would shadow the local credentials; returns a function restoring the previous values.
	 */
	applyEnv(): () => void
	/**
	 * The environment for a child process (a CLI, a worker): `base` (default `process.env`)
	 * without `AWS_PROFILE` and `AWS_SESSION_TOKEN`, with `env` over it, as `applyEnv()` makes
	 * this process's.
	 */
	childEnv(base?: Readonly<Record<string, string | undefined>>): Record<string, string>
	stop(): Promise<void>
	[Symbol.asyncDispose](): Promise<void>
}

/**
 * Variables of a developer's shell that would keep SDK clients off the local credentials:
 * with `AWS_PROFILE` set, the SDK's default chain skips `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`
 * and uses the profile; a session token would be sent along with the local key. `applyEnv()`
 * removes them while the stack's environment is applied, and `childEnv()` leaves them out.
 */
const shadowingVariables = ['AWS_PROFILE', 'AWS_SESSION_TOKEN'] as const

/**
 * Starts every local peer on random 127.0.0.1 ports, in parallel: dynalite, the Secrets
 * Manager and STS endpoints, the identity provider and the X-Ray capture.
 */
export const startLocalStack = async (options: LocalStackOptions = {}): Promise<LocalStack> => {
	const region = options.region ?? 'us-east-1'
	const started = await Promise.allSettled([
		startDynamoDb({ region }),
		startSecretsManager({ region }),
		startSts({ region, ...options.sts }),
		startIdentityProvider(options.identityProvider),
		startXrayCapture(),
	] as const)
	const stopAll = () =>
		Promise.all(
			started.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value.stop() : undefined)),
		)
	const failure = started.find((outcome) => outcome.status === 'rejected')
	if (failure) {
		await stopAll()
		throw failure.reason
	}
	const [dynamodb, secretsManager, sts, identityProvider, xray] = started.map(
		(outcome) => (outcome as PromiseFulfilledResult<unknown>).value,
	) as [LocalDynamoDb, LocalSecretsManager, LocalSts, LocalIdentityProvider, XrayCapture]

	const env = {
		AWS_REGION: region,
		AWS_DEFAULT_REGION: region,
		AWS_ACCESS_KEY_ID: localCredentials.accessKeyId,
		AWS_SECRET_ACCESS_KEY: localCredentials.secretAccessKey,
		AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
		AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.endpoint,
		AWS_ENDPOINT_URL_STS: sts.endpoint,
		AWS_XRAY_DAEMON_ADDRESS: xray.address,
		// Set, not removed: they override the shared config file's settings of the same name
		// too. Ignoring the endpoint variables sends requests to AWS; FIPS and dual-stack
		// endpoints refuse a configured endpoint.
		AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: 'false',
		AWS_USE_FIPS_ENDPOINT: 'false',
		AWS_USE_DUALSTACK_ENDPOINT: 'false',
		// The SDK's own defaults, pinned: a shell's would change the retries that tests and the
		// demo expect.
		AWS_MAX_ATTEMPTS: '3',
		AWS_RETRY_MODE: 'standard',
	}

	const stop = async () => {
		await stopAll()
	}

	return {
		region,
		dynamodb,
		secretsManager,
		sts,
		identityProvider,
		xray,
		env,
		applyEnv() {
			const previous = Object.fromEntries(
				[...Object.keys(env), ...shadowingVariables].map((name) => [name, process.env[name]]),
			)
			for (const name of shadowingVariables) delete process.env[name]
			Object.assign(process.env, env)
			return () => {
				for (const [name, value] of Object.entries(previous)) {
					if (value === undefined) delete process.env[name]
					else process.env[name] = value
				}
			}
		},
		childEnv(base = process.env) {
			const inherited: Record<string, string> = {}
			for (const [name, value] of Object.entries(base)) {
				if (value !== undefined && !(shadowingVariables as readonly string[]).includes(name))
					inherited[name] = value
			}
			return { ...inherited, ...env }
		},
		stop,
		[Symbol.asyncDispose]: stop,
	}
}
