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
	 * at this stack: `AWS_ENDPOINT_URL_<SERVICE>`, region, credentials, daemon address.
	 */
	readonly env: Readonly<Record<string, string>>
	/** Copies `env` into `process.env`; returns a function restoring the previous values. */
	applyEnv(): () => void
	stop(): Promise<void>
	[Symbol.asyncDispose](): Promise<void>
}

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
			const previous = Object.fromEntries(Object.keys(env).map((name) => [name, process.env[name]]))
			Object.assign(process.env, env)
			return () => {
				for (const [name, value] of Object.entries(previous)) {
					if (value === undefined) delete process.env[name]
					else process.env[name] = value
				}
			}
		},
		stop,
		[Symbol.asyncDispose]: stop,
	}
}
