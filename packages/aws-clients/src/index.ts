export { logViolation } from '@tenantry/util'
export { awsClients, type WithClients } from './aws-clients.js'
export { clearClientCache, getClient, getClientCacheSize } from './client-cache.js'
export type {
	ClientClass,
	ClientClasses,
	ClientConfigOf,
	ClientsOf,
	SharedClientConfig,
} from './client-class.js'
export { type DynamoTenantGuardOptions, guardDefaults } from './dynamo-guard.js'
export {
	AwsServiceUnavailableError,
	ClientOfAnotherTenantError,
	CommandRefusedError,
	CrossTenantKeyError,
	ScanRefusedError,
	TenantCredentialsUnavailableError,
	UnprovenKeyConditionError,
} from './errors.js'
export { type HttpHandlerOptions, httpHandlerDefaults } from './http-handler.js'
export {
	type AwsClientsOptions,
	type ClientTracer,
	defaults,
	type OutagesOptions,
	outagesDefaults,
} from './options.js'
export { isServiceOutage } from './outages.js'
export { type AwsClientsPlugin, awsClientsPlugin } from './plugin.js'
export {
	type StsClientLike,
	type TenantCredentials,
	type TenantCredentialsOptions,
	tenantCredentialsDefaults,
} from './tenant-credentials.js'
export type {
	DynamoKeyViolation,
	DynamoKeyViolationCode,
	ForeignClientViolation,
	GuardViolation,
	GuardViolationCode,
	GuardViolationReporter,
} from './violation.js'
