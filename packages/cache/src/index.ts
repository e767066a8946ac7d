export { isNotFound, NotFoundError } from './not-found.js'
export { defaults, type TtlCacheOptions } from './options.js'
export type { CacheStats } from './stats.js'
export {
	createTtlCache,
	type GetOptions,
	type Loader,
	type SetOptions,
	type TtlCache,
} from './ttl-cache.js'
