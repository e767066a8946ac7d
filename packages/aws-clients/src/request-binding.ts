import { forbidden, reportViolation, type TenantContext } from '@tenantry/util'
import { serviceIdOf } from './client-class.js'
import { ClientOfAnotherTenantError } from './errors.js'
import { addToStack, operationOf } from './middleware-stack.js'
import type { RequestFactsSlot } from './request-facts.js'
import type { GuardViolationReporter } from './violation.js'

export const requestBindingName = 'tenantryRequestBinding'

/**
 * Binds one tenant's client to that tenant's requests. Clients are cached per container, so a
 * client kept past its request (`kept ??= context.clients.dynamodb` at module scope) would
 * serve every later request with the first tenant's session, and the first tenant's keys pass
 * its guard: neither the guard nor IAM could tell. The check sits in the `initialize` step,
 * ahead of serialisation, the guard, the credential provider and signing, so a refused
 * request calls nothing and sends nothing. Adding it again replaces it.
 */
export const bindToTenantRequests = (
	client: object,
	tenant: TenantContext,
	facts: RequestFactsSlot,
	reporter: GuardViolationReporter,
): void => {
	const service = (serviceIdOf(client) ?? 'aws').replace(/\s+/g, '').toLowerCase()
	addToStack(client, 'initialize', requestBindingName, (next, context) => (args) => {
		const request = facts.current()
		if (request.tenantId === tenant.id) return next(args)
		const operation = operationOf(context.commandName)
		reportViolation(reporter, {
			code: 'client_of_another_tenant',
			tenant: request.tenantId,
			claimedTenant: tenant.id,
			source: `${service}:${operation || 'unknown'}`,
			requestId: request.requestId,
			path: request.path,
			method: request.method,
		})
		return Promise.reject(forbidden(new ClientOfAnotherTenantError(operation || 'a command')))
	})
}
