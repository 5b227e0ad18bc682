import { Path } from "../demands";
import { RoutingContext } from "../context";
import { largestDegreeNode } from "../election";
import { Evaluation, evaluateRoutes } from "../evaluate";

/**
 * SP, P000's "traditional" method (section 8): min-hop paths to a fixed generator, the bus with the
 * most links (ties to the lowest bus id), blind to queues and bandwidth. One breadth-first search
 * from the generator gives every route; among equal-hop paths the first discovered (link order) wins.
 */
export function sp(ctx: RoutingContext): Evaluation {
  const { net } = ctx;
  const g = largestDegreeNode(net);
  const parent = new Int32Array(net.n).fill(-1);
  const parentLink = new Int32Array(net.n).fill(-1);
  const queue = new Int32Array(net.n);
  let head = 0;
  let tail = 0;
  queue[tail++] = g;
  parent[g] = g;
  while (head < tail) {
    const u = queue[head++];
    for (let k = net.adjStart[u]; k < net.adjStart[u + 1]; k++) {
      const v = net.adjNode[k];
      if (parent[v] >= 0) continue;
      parent[v] = u;
      parentLink[v] = net.adjLink[k];
      queue[tail++] = v;
    }
  }
  const routes = ctx.demands.map((d): Path | null => {
    if (parent[d.node] < 0) return null;
    const nodes = [d.node];
    const links: number[] = [];
    for (let v = d.node; v !== g; v = parent[v]) {
      links.push(parentLink[v]);
      nodes.push(parent[v]);
    }
    return { nodes, links };
  });
  return evaluateRoutes(net, ctx.opts, ctx.demands, g, routes, ctx.search);
}
