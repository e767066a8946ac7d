export const packageName = '@tenantry/jwt-auth'
