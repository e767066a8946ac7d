import type { MiddlewareObj, Request } from '@middy/core'
import {
	annotate,
	annotateTenant,
	clip,
	DEFAULT_TENANT_ID_PATTERN,
	forbidden,
	type HttpError,
	type HttpEventLike,
	isPromiseLike,
	isValidTenantId,
	methodOf,
	pathOf,
	reportViolation,
	requestIdOf,
	type TenantryError,
	unauthorized,
	type WithTenant,
} from '@tenantry/util'
import type { Context } from 'aws-lambda'
import { rememberRequest } from './access.js'
import {
	TenantIdInvalidError,
	TenantMismatchError,
	TenantMissingError,
	TenantReferenceMissingError,
	TenantSourcesDisagreeError,
} from './errors.js'
import { createMatchReaders } from './match.js'
import { resolveOptions, type TenantIsolationOptions } from './options.js'
import { isAbsent } from './read.js'
import { createSourceReaders, type SourceReader } from './sources.js'
import { tenantContextFor } from './tenant-contexts.js'
import type { TenantViolation, TenantViolationCode } from './violation.js'

type IsolationRequest = Request<unknown, unknown, Error, Context & Partial<WithTenant>>

interface Named {
	source: string
	value: unknown
	establishes: boolean
}

const noEvent: HttpEventLike = Object.freeze({})

const asEvent = (event: unknown): HttpEventLike =>
	typeof event === 'object' && event !== null ? (event as HttpEventLike) : noEvent

/**
 * Resolves the one tenant of the request from every configured source and refuses the
 * request when the sources disagree or the request names another tenant; then sets
 * `context.tenant`. Use it after authentication and after `@middy/http-json-body-parser`.
 */
export const tenantIsolation = (
	options: TenantIsolationOptions = {},
): MiddlewareObj<unknown, unknown, Error, Context & WithTenant> => {
	const resolved = resolveOptions(options)
	const { tenantIdPattern, onViolation, challenge, resolve, tracer } = resolved
	const readers: readonly SourceReader[] = createSourceReaders(
		resolved.sources,
		resolved.authorizerField,
		resolved.claim,
	)
	const matchReaders = createMatchReaders(resolved.match)

	const isValid = (value: unknown): value is string =>
		isValidTenantId(value, tenantIdPattern) && DEFAULT_TENANT_ID_PATTERN.test(value)

	const refuse = (
		request: IsolationRequest,
		event: HttpEventLike,
		code: TenantViolationCode,
		reason: TenantryError,
		tenant: string | undefined,
		named: { source: string; value: unknown },
	): HttpError => {
		const violation: TenantViolation = {
			code,
			tenant,
			claimedTenant: clip(named.value),
			source: named.source,
			requestId: requestIdOf(event, request.context),
			path: clip(pathOf(event)),
			method: clip(methodOf(event)),
		}
		reportViolation(onViolation, violation)
		if (tracer !== undefined) annotate(tracer, 'tenant_violation', code)
		return forbidden(reason)
	}

	const establish = (request: IsolationRequest, event: HttpEventLike, named: Named[]): string => {
		const tenant = named.find((entry) => entry.establishes && isValid(entry.value))?.value as
			| string
			| undefined
		for (const entry of named) {
			if (!isValid(entry.value)) {
				throw refuse(
					request,
					event,
					'tenant_id_invalid',
					new TenantIdInvalidError(entry.source),
					tenant,
					entry,
				)
			}
		}
		if (tenant === undefined) throw unauthorized(challenge, new TenantMissingError())
		for (const entry of named) {
			if (entry.value !== tenant) {
				throw refuse(
					request,
					event,
					'tenant_sources_disagree',
					new TenantSourcesDisagreeError(entry.source),
					tenant,
					entry,
				)
			}
		}
		return tenant
	}

	const checkReferences = (request: IsolationRequest, event: HttpEventLike, tenant: string) => {
		for (const reader of matchReaders) {
			const values = reader.read(event)
			if (values.length === 0 && reader.required) {
				throw refuse(
					request,
					event,
					'tenant_reference_missing',
					new TenantReferenceMissingError(reader.source),
					tenant,
					{ source: reader.source, value: undefined },
				)
			}
			for (const value of values) {
				if (value !== tenant) {
					throw refuse(
						request,
						event,
						'tenant_mismatch',
						new TenantMismatchError(reader.source),
						tenant,
						{ source: reader.source, value },
					)
				}
			}
		}
	}

	const settle = (request: IsolationRequest, event: HttpEventLike, named: Named[]): void => {
		const tenant = establish(request, event, named)
		checkReferences(request, event, tenant)
		rememberRequest(request.context, onViolation, event)
		request.context.tenant = tenantContextFor(tenant)
		// Checked here: the annotation's closure would cost every request without a tracer.
		if (tracer !== undefined) annotateTenant(tracer, tenant)
	}

	const before = (request: IsolationRequest): void | Promise<void> => {
		const event = asEvent(request.event)
		const named: Named[] = []
		for (const reader of readers) {
			const value = reader.read(event, request.context)
			if (!isAbsent(value))
				named.push({ source: reader.name, value, establishes: reader.establishes })
		}
		if (resolve === undefined) return settle(request, event, named)
		const addResolved = (value: unknown) => {
			if (!isAbsent(value)) named.push({ source: 'resolve', value, establishes: true })
			settle(request, event, named)
		}
		const resolvedValue = resolve(event, request.context)
		if (isPromiseLike(resolvedValue)) return Promise.resolve(resolvedValue).then(addResolved)
		addResolved(resolvedValue)
	}

	return { before, name: 'tenantIsolation' } as MiddlewareObj<
		unknown,
		unknown,
		Error,
		Context & WithTenant
	>
}
