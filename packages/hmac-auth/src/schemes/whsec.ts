import { decodeBase64Strict } from '../encoding.js'

const prefix = 'whsec_'

/**
 * A Standard Webhooks secret: `whsec_` + base64 of 24 to 64 random bytes. The prefix is
 * optional, as in the reference libraries; the length is not, so a truncated or empty secret
 * is found at once rather than silently weakening every signature.
 */
export const decodeWhsecSecret = (secret: string): Buffer | undefined => {
	const encoded = secret.startsWith(prefix) ? secret.slice(prefix.length) : secret
	const key = decodeBase64Strict(encoded)
	return key !== undefined && key.length >= 24 && key.length <= 64 ? key : undefined
}

export const whsecFormat = "is not 'whsec_' + base64 of 24 to 64 bytes"
