// Type-level assertions for the type tests: `expectType<Equal<A, B>>()` fails
// to compile unless A and B are the same type (not merely assignable).

/** True when A and B are identical types. */
export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

/** Compiles only for `true`. */
export function expectType<T extends true>(): T | void {}

/** The type a promise resolves to, for `await`-free checks. */
export type Out<P> = P extends Promise<infer T> ? T : never;
