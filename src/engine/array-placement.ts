/**
 * Both implementations of an engine component (plain TypeScript and WASM) expose the same named
 * typed arrays for batch input and output. One function per component lists those arrays and
 * their sizes; an `ArrayPlacer` decides where each one lives: fresh storage for the TypeScript
 * version, a view of linear memory at the area's offset for the WASM version.
 */

/** A typed-array constructor, used either way: fresh storage or a view of an existing buffer. */
export interface TypedArrayType<T> {
  new (length: number): T;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
}

/** Makes the typed array of `length` elements for the area called `name`. */
export type ArrayPlacer<Name extends string> = <T>(type: TypedArrayType<T>, name: Name, length: number) => T;

/** The placer of the TypeScript implementations: every area is a new zero-filled array. */
export function freshArray<T>(type: TypedArrayType<T>, _name: string, length: number): T {
  return new type(length);
}
