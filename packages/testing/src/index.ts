export { localAccountId, localCredentials } from './credentials.js'
export {
	type CreateTableOptions,
	type LocalDynamoDb,
	type RecordedDynamoDbRequest,
	type StartDynamoDbOptions,
	startDynamoDb,
} from './dynamodb.js'
export {
	albEvent,
	functionUrlEvent,
	type HttpApiAuthorizer,
	type HttpRequestSpec,
	httpApiAuthorizerEvent,
	httpApiEvent,
	lambdaContext,
	type RestApiAuthorizer,
	restApiEvent,
} from './events.js'
export type { Fault, FaultControl, InjectOptions } from './faults.js'
export {
	type Gateway,
	type GatewayEvent,
	gatewayEvent,
	gateways,
	type HeaderCasing,
	spellHeaderName,
} from './gateway-event.js'
export {
	type CreateKeyOptions,
	type LocalIdentityProvider,
	type SigningAlgorithm,
	type SigningKey,
	type SignOptions,
	type StartIdentityProviderOptions,
	startIdentityProvider,
} from './identity-provider.js'
export { type InstalledTracer, installedTracer } from './installed-tracer.js'
export { assembleJwt } from './jwt-parts.js'
export { type LocalStack, type LocalStackOptions, startLocalStack } from './local-stack.js'
export {
	installStreamingRuntime,
	invokeStreaming,
	type StreamedResponse,
	type StreamingHandler,
} from './response-stream.js'
export {
	type LocalSecretsManager,
	type RecordedSecretsManagerRequest,
	type StartSecretsManagerOptions,
	startSecretsManager,
} from './secrets-manager.js'
export { type AssumeRoleCall, type LocalSts, type StartStsOptions, startSts } from './sts.js'
export { tenantLookAlikes } from './tenant-look-alikes.js'
export {
	localTraceId,
	startXrayCapture,
	type XrayCapture,
	type XraySegment,
} from './xray-capture.js'
