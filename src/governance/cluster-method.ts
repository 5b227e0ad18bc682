export type ClusterMethod = "kmeans" | "kmedoids";
export const CLUSTER_METHODS: readonly ClusterMethod[] = ["kmeans", "kmedoids"];
