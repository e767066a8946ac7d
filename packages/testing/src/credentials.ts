import { createHash } from 'node:crypto'

/** Credentials for the local stack; the endpoints accept any signature. */
export const localCredentials = {
	accessKeyId: 'AKIALOCALSTACK000000',
	secretAccessKey: 'local-stack-secret-access-key',
} as const

export const localAccountId = '000000000000'

/** The access key id from a SigV4 `Authorization` header, to attribute requests to credentials. */
export const accessKeyIdOf = (authorization: string | undefined): string | undefined =>
	/Credential=([^/]+)\//.exec(authorization ?? '')?.[1]

export const randomId = (length = 20): string =>
	createHash('sha256').update(crypto.randomUUID()).digest('hex').slice(0, length).toUpperCase()
