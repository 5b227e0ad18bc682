/**
 * The endpoints of an `RPC_URL`-style list: comma-separated http(s) URLs of nodes of one chain, blanks around
 * commas ignored. Errors name the source and the position of the bad entry. No imports: hardhat.config.ts uses it.
 */
export function parseRpcUrls(text: string, source = "RPC_URL"): string[] {
  const urls = text
    .split(",")
    .map((u) => u.trim())
    .filter((u) => u !== "");
  if (urls.length === 0) throw new Error(`${source} is empty: give one or more http(s) URLs separated by commas`);
  urls.forEach((u, i) => {
    let ok = false;
    try {
      ok = /^https?:$/.test(new URL(u).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw new Error(`${source} entry ${i + 1} ("${u}") is not an http(s) URL`);
  });
  if (new Set(urls).size !== urls.length) throw new Error(`${source} lists an endpoint twice: ${urls.join(", ")}`);
  return urls;
}
