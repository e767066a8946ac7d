/**
 * `Date.now()` read at most once per synchronous run (the reading is dropped on the next
 * microtask), shared by this middleware and its caches, so a warm request reads the
 * system clock once. `Date` is looked up on each reading so fake timers apply.
 * (The same rule as `@tenantry/cache`'s internal clock, which it does not export.)
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
