import { expectTypeOf, it } from 'vitest'
import type { handler as tenantApi } from '../../examples/tenant-api/handler.js'
import type { handler as authorizer } from '../../examples/tenant-authorizer/authorizer.js'
import type { handler as profile } from '../../examples/tenant-authorizer/handler.js'
import type { handler as webhookIngest } from '../../examples/webhook-ingest/handler.js'

/** The `context` type a middy handler carries, which its own function receives. */
type ContextOf<H extends (...args: never[]) => unknown> = Parameters<H>[1]

/**
 * The examples are what users copy. One untyped inline middleware (`before: (request) => …`) makes
 * middy type the handler's whole `context` as `any`: `context.tenant` and `context.clients` then
 * compile whatever is done with them. Checked by the typecheck, which covers this file.
 */
it("types every example handler's context", () => {
	expectTypeOf<ContextOf<typeof tenantApi>>().not.toBeAny()
	expectTypeOf<ContextOf<typeof tenantApi>['tenant']['id']>().toEqualTypeOf<string>()
	expectTypeOf<ContextOf<typeof webhookIngest>>().not.toBeAny()
	expectTypeOf<ContextOf<typeof webhookIngest>['tenant']['id']>().toEqualTypeOf<string>()
	expectTypeOf<ContextOf<typeof profile>>().not.toBeAny()
	expectTypeOf<ContextOf<typeof profile>['tenant']['id']>().toEqualTypeOf<string>()
	expectTypeOf<ContextOf<typeof authorizer>>().not.toBeAny()
})
