const invalid = /[^\w+=,.@-]/g

/**
 * An STS `RoleSessionName` (`[\w+=,.@-]{2,64}`) naming the tenant and the request that
 * assumed the role, so CloudTrail entries lead back to both.
 */
export const roleSessionName = (tenantId: string, requestId: string | undefined): string => {
	const name = `${tenantId}@${requestId ?? 'unknown'}`.replace(invalid, '_').slice(0, 64)
	return name.length >= 2 ? name : `${name}_`
}
