import { describe, expect, it, vi } from 'vitest'
import { reportViolation } from '../src/index.js'
import { violation } from './violation-fixture.js'

/** An error whose name JSON cannot write: a reporter's sink may fail with anything. */
const unwritableName = (): Error => {
	const error = new Error('sink down')
	Object.defineProperty(error, 'name', { value: 10n })
	return error
}

/** An error whose name cannot even be read. */
const unreadableName = (): Error => {
	const error = new Error('sink down')
	Object.defineProperty(error, 'name', {
		get() {
			throw new Error('no name')
		},
	})
	return error
}

// README: "a reporter can never change the answer", whatever it fails with.
describe('reportViolation, whatever the reporter fails with', () => {
	it.each([
		['a name JSON cannot write', unwritableName],
		['a name that cannot be read', unreadableName],
	])('does not throw when the reporter throws an error with %s', (_, failure) => {
		const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined)
		try {
			expect(() =>
				reportViolation(() => {
					throw failure()
				}, violation),
			).not.toThrow()
			expect(errors).toHaveBeenCalledTimes(1)
		} finally {
			errors.mockRestore()
		}
	})

	it.each([
		['a name JSON cannot write', unwritableName],
		['a name that cannot be read', unreadableName],
	])('leaves no unhandled rejection when the reporter rejects with %s', async (_, failure) => {
		const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined)
		const unhandled: unknown[] = []
		const record = (reason: unknown) => unhandled.push(reason)
		process.on('unhandledRejection', record)
		try {
			reportViolation(async () => Promise.reject(failure()), violation)
			await new Promise((resolve) => setTimeout(resolve, 20))
			// An unhandled rejection ends the Lambda runtime: every request in flight fails.
			expect(unhandled).toEqual([])
			expect(errors).toHaveBeenCalledTimes(1)
		} finally {
			process.off('unhandledRejection', record)
			errors.mockRestore()
		}
	})
})
