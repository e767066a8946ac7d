/**
 * What every Tenantry authentication middleware puts on `context.auth`. Downstream
 * middlewares (tenant isolation, rate limiting) rely only on this shape, so they work
 * with any of them, or with a custom one that sets the same fields.
 */
export interface AuthContextBase {
	method: string
	tenantId?: string | undefined
}

/** The context addition of an authentication middleware. */
export interface WithAuth<TAuth extends AuthContextBase = AuthContextBase> {
	auth: TAuth
}
