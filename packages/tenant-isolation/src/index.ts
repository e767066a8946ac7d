// The context addition is named from here, so that a user's emitted declarations (`declaration:
// true`) can name it without a dependency on @tenantry/util, which strict installs (pnpm) hide.
export { logViolation, type TenantContext, tenantKey, type WithTenant } from '@tenantry/util'
export { assertTenantAccess } from './access.js'
export {
	TenantAccessDeniedError,
	TenantIdInvalidError,
	TenantMismatchError,
	TenantMissingError,
	TenantReferenceMissingError,
	TenantSourcesDisagreeError,
} from './errors.js'
export type { MatchLocation, MatchOptions } from './match.js'
export { defaults, type TenantIsolationOptions, type TenantResolver } from './options.js'
export type { TenantSourceName } from './sources.js'
export { tenantIsolation } from './tenant-isolation.js'
export type { TenantViolation, TenantViolationCode, ViolationReporter } from './violation.js'
