const encoder = new TextEncoder();
const fnv1a = (text) => {
  let hash = 2166136261;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 16777619);
  }
  return hash >>> 0;
};
const bucket = (userId) => fnv1a(userId) % 100;
const inCanary = (userId, percent) => bucket(userId) < percent;
export {
  bucket,
  fnv1a,
  inCanary
};
//# sourceMappingURL=Canary.js.map
