/**
 * The reason behind a rejection. It travels as the `cause` of the public {@link HttpError}
 * so logs say exactly what went wrong while the client only sees a generic message.
 */
export class TenantryError extends Error {
	/** Stable machine-readable reason, e.g. `jwt_expired`. */
	readonly code: string
	/** The package that raised it, e.g. `@tenantry/jwt-auth`. */
	readonly package: string

	constructor(packageName: string, code: string, message: string, options?: { cause?: unknown }) {
		super(message, options)
		this.name = new.target.name
		this.code = code
		this.package = packageName
	}
}
