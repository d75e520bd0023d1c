"""NetworkPolicy connectivity (layer 7): which workloads can reach which, on which ports.

The engine reads workloads, Namespaces, NetworkPolicies, AdminNetworkPolicies, the
BaselineAdminNetworkPolicy, Services, Ingresses and Routes (`resources`), groups pods into
label-equivalence classes, and evaluates each pair of classes once (`connectivity`). Its
connection list prints exactly as np-guard's netpol-analyzer prints it (`output`).

Entry point: `connectivity.analyze(objects, options) -> Analysis`.
"""
