export function add(a: i32, b: i32): i32 {
  return a + b;
}
export function swz(): i32 {
  const v = i8x16.swizzle(i8x16.splat(3), i8x16.splat(0));
  return i8x16.extract_lane_s(v, 0);
}
