import { isPromiseLike } from '@tenantry/util'
import { RateLimitStoreAnswerError } from './errors.js'
import type { ConsumeResult, RateLimitStore } from './store.js'

/** The stores this package builds, whose answers need no check. */
const ownStores = new WeakSet<RateLimitStore>()

/** Marks a store this package built. */
export const ownStore = (store: RateLimitStore): RateLimitStore => {
	ownStores.add(store)
	return store
}

const isConsumeResult = (answer: unknown): answer is ConsumeResult =>
	typeof answer === 'object' &&
	answer !== null &&
	typeof (answer as ConsumeResult).allowed === 'boolean' &&
	typeof (answer as ConsumeResult).count === 'number'

const checkedAnswer = (answer: unknown): ConsumeResult => {
	if (!isConsumeResult(answer)) throw new RateLimitStoreAnswerError()
	return answer
}

/**
 * The store, or for one of the caller's own a store whose every answer is checked: an answer
 * of another shape (`null`, a count missing or not a number, `allowed: 'yes'`) is a store failure
 * (`onStoreError`), where it would otherwise be a 500, a `RateLimit-Remaining: NaN` or a request
 * counted as allowed by a truthy string. (An odd number is reported as the store counted it.) Decided once, so our own stores pay nothing.
 */
export const checkedStore = (store: RateLimitStore): RateLimitStore =>
	ownStores.has(store)
		? store
		: {
				consume(request) {
					const answer: unknown = store.consume(request)
					return isPromiseLike(answer)
						? Promise.resolve(answer).then(checkedAnswer)
						: checkedAnswer(answer)
				},
			}
