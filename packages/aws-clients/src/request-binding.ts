import {
	forbidden,
	misconfigured,
	reportViolation,
	serviceIdOf,
	type TenantContext,
} from '@tenantry/util'
import { ClientOfAnotherTenantError, packageName } from './errors.js'
import { addToStack, operationOf } from './middleware-stack.js'
import type { ServiceErrorAnswer } from './outages.js'
import type { RequestFactsSlot } from './request-facts.js'
import type { GuardViolationReporter } from './violation.js'

export const requestBindingName = 'tenantryRequestBinding'

type CredentialProvider = (options?: unknown) => Promise<unknown>

/**
 * Binds one tenant's client to that tenant's requests. Clients are cached per container, so a
 * client kept past its request (`kept ??= context.clients.dynamodb` at module scope) would
 * serve every later request with the first tenant's session, and the first tenant's keys pass
 * its guard: neither the guard nor IAM could tell.
 *
 * Sends are checked in the `initialize` step, ahead of serialisation, the guard, the credential
 * provider and signing, so a refused request calls nothing and sends nothing. The credentials
 * are checked too: presigners such as `createPresignedPost` read `config.credentials()` directly,
 * and so can any code holding the client. Binding again replaces the check.
 *
 * The same entry answers the errors of the sends it lets through (`answerServiceErrors`): the SDK
 * sorts and rebuilds the stack on every send, at a cost per entry. A refusal is not the SDK's
 * error and is not answered as one.
 */
export const bindToTenantRequests = (
	client: object,
	tenant: TenantContext,
	facts: RequestFactsSlot,
	reporter: GuardViolationReporter,
	answer: ServiceErrorAnswer,
): void => {
	const service = (serviceIdOf(client) ?? 'aws').replace(/\s+/g, '').toLowerCase()
	const serves = (): boolean => facts.current().tenantId === tenant.id
	const refuse = (use: string): Promise<never> => {
		const request = facts.current()
		reportViolation(reporter, {
			code: 'client_of_another_tenant',
			tenant: request.tenantId,
			claimedTenant: tenant.id,
			source: `${service}:${use}`,
			requestId: request.requestId,
			path: request.path,
			method: request.method,
		})
		return Promise.reject(forbidden(new ClientOfAnotherTenantError(use)))
	}
	if (!('middlewareStack' in client)) {
		throw misconfigured(
			`${packageName}: a tenant's client needs a middlewareStack (an AWS SDK v3 client) to be bound to its requests`,
		)
	}
	addToStack(
		client,
		'initialize',
		requestBindingName,
		(next, context) => (args) =>
			serves()
				? next(args).catch((error: unknown) => answer(error, context.commandName))
				: refuse(operationOf(context.commandName) || 'unknown'),
	)
	const config = (client as { config?: { credentials?: unknown } }).config
	const provider = config?.credentials
	if (config === undefined || typeof provider !== 'function') return
	// Marked as the SDK marks a provider it has memoized and bound: a client built from it
	// (`new S3Client({ credentials: kept.config.credentials })`) then calls it, and so the
	// check, on every request instead of memoizing it once.
	const checked = Object.assign(
		(options?: unknown) =>
			serves() ? (provider as CredentialProvider)(options) : refuse('credentials'),
		{ memoized: true, configBound: true },
	)
	// Replaces the SDK's accessor, whose setter would wrap `checked` in a memoizing provider
	// that asks it only once.
	Object.defineProperty(config, 'credentials', {
		get: () => checked,
		set: () => {
			throw misconfigured(`${packageName}: the credentials of a tenant's client cannot be replaced`)
		},
		enumerable: true,
		configurable: true,
	})
}
