export const packageName = '@tenantry/rate-limit'
