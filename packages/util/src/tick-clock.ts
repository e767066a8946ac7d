/**
 * `Date.now()` read at most once per synchronous run: the reading is dropped on the next
 * microtask. Reading the system clock costs several `Map` lookups on some virtual
 * machines, and within one synchronous run time moves by microseconds, far below any
 * TTL. `Date` is looked up on each reading so fake timers in tests apply.
 */
export const createTickClock = (): (() => number) => {
	let reading: number | undefined
	const forget = () => {
		reading = undefined
	}
	return () => {
		if (reading === undefined) {
			reading = Date.now()
			void Promise.resolve().then(forget)
		}
		return reading
	}
}
