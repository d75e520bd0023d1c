"""NetworkPolicy connectivity (layer 7): which workloads can reach which, on which ports.

Results equal np-guard's netpol-analyzer `list` (txt, json, csv, md and dot, same wording and
order; its exposure analysis with `--exposure`).

Modules, one job each:
  resources     workloads (owners of Pods, every workload kind, VirtualMachines), namespaces
  selectors     label selectors, validated as the API server validates them
  ports         ConnectionSet: protocol -> port ranges, `All Connections` wording
  ipranges      IPv4 sets and the split of the address space into external peers
  endpoints     PodClass (pods alike to every policy) and ExternalRange
  networkpolicy NetworkPolicy (and MultiNetworkPolicy) parsing and evaluation
  admin         AdminNetworkPolicy / BaselineAdminNetworkPolicy parsing and evaluation
  ingress       Ingress / Route backends: traffic from `{ingress-controller}`
  networks      primary UDN/CUDN and secondary NAD networks of workloads
  connectivity  Cluster (the parsed input, evaluation) and analyze() (the connection list)
  exposure      what workloads are open to beyond the input (`--exposure`)
  output        render_txt, render_json, render_csv, render_md, render_dot

Entry point: `connectivity.analyze(objects, Options(...)) -> Analysis`; for one pair of
endpoints, `Cluster.from_objects(objects).allowed(src, dst) -> ConnectionSet`.
"""
