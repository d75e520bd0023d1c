"""Traffic an ingress controller sends into the cluster for Ingress objects and OpenShift Routes.

Each backend Service (in the object's namespace) leads to the workloads its selector selects,
on the service ports' target ports (a number, or a container port's name); netpol-analyzer
reports it as `{ingress-controller} => ns/name[Kind] : TCP 9080`, after the workloads'
NetworkPolicies had their say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tenlayer.kube.containers import mapping, sequence
from tenlayer.kube.objects import KubeObject
from tenlayer.netpol.ports import NONE, ConnectionSet
from tenlayer.netpol.resources import Workload, object_namespace, where
from tenlayer.netpol.selectors import string_labels


@dataclass(frozen=True, slots=True)
class ServicePort:
    port: int | None
    name: str | None
    target: int | str | None
    protocol: str


@dataclass(frozen=True, slots=True)
class Service:
    namespace: str
    name: str
    selector: dict[str, str] | None
    ports: tuple[ServicePort, ...]

    def selects(self, workload: Workload) -> bool:
        if not self.selector or workload.namespace != self.namespace:
            return False
        labels = workload.label_map
        return all(labels.get(k) == v for k, v in self.selector.items())


@dataclass(slots=True)
class IngressTraffic:
    backends: dict[Workload, ConnectionSet] = field(default_factory=dict)

    def add(self, workload: Workload, conns: ConnectionSet) -> None:
        self.backends[workload] = self.backends.get(workload, NONE).union(conns)


def _services(objects: Sequence[KubeObject]) -> dict[tuple[str, str], Service]:
    services: dict[tuple[str, str], Service] = {}
    for obj in objects:
        if obj.kind != "Service" or obj.group != "":
            continue
        spec = obj.body.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        selector = spec.get("selector")
        ports = []
        for port in sequence(spec.get("ports")):
            if not isinstance(port, dict):
                continue
            number = port.get("port") if isinstance(port.get("port"), int) else None
            target = port.get("targetPort", number)
            ports.append(ServicePort(number, port.get("name") if isinstance(
                port.get("name"), str) else None, target if isinstance(target, int | str)
                else number, str(port.get("protocol") or "TCP")))
        namespace = object_namespace(obj)
        services[(namespace, obj.name)] = Service(
            namespace, obj.name, string_labels(selector) if isinstance(selector, dict) else None,
            tuple(ports))
    return services


def _target_conns(port: ServicePort, workload: Workload) -> ConnectionSet:
    target = port.target
    if isinstance(target, str) and not target.isdigit():
        named = workload.named_port(target)
        if named is None:
            return NONE
        return ConnectionSet.of(named.protocol, [(named.port, named.port)])
    if target is None:
        return NONE
    number = int(target)
    return ConnectionSet.of(port.protocol, [(number, number)])


def _backend(service: Service | None, wanted: int | str | None, workloads: Sequence[Workload],
             traffic: IngressTraffic, place: str, warnings: set[str]) -> None:
    if service is None:
        warnings.add(f"{place}: backend service not found in the input")
        return
    ports = [p for p in service.ports if wanted is None or wanted in (p.port, p.name)
             or (isinstance(wanted, str) and wanted.isdigit() and p.port == int(wanted))]
    if wanted is not None and not ports:
        # a Route's targetPort names the pods' port, not the service's
        ports = [p for p in service.ports if wanted == p.target]
    if not ports:
        warnings.add(f"{place}: service {service.name} has no port {wanted}")
        return
    for workload in workloads:
        if service.selects(workload):
            conns = NONE
            for port in ports:
                conns = conns.union(_target_conns(port, workload))
            if not conns.is_empty:
                traffic.add(workload, conns)


def ingress_traffic(objects: Sequence[KubeObject], workloads: Sequence[Workload],
                    warnings: set[str]) -> IngressTraffic:
    services = _services(objects)
    traffic = IngressTraffic()
    for obj in objects:
        spec = obj.body.get("spec")
        if not isinstance(spec, dict):
            continue
        namespace = object_namespace(obj)
        if obj.kind == "Ingress" and obj.group in ("networking.k8s.io", "extensions"):
            for name, port in _ingress_backends(spec):
                _backend(services.get((namespace, name)), port, workloads, traffic,
                         where(obj), warnings)
        elif obj.kind == "Route" and obj.group in ("route.openshift.io", ""):
            port_spec = spec.get("port")
            port = port_spec.get("targetPort") if isinstance(port_spec, dict) else None
            targets = [spec.get("to"), *sequence(spec.get("alternateBackends"))]
            for target in targets:
                if isinstance(target, dict) and target.get("kind", "Service") == "Service":
                    _backend(services.get((namespace, str(target.get("name")))), port,
                             workloads, traffic, where(obj), warnings)
    return traffic


def _ingress_backends(spec: dict[str, Any]) -> list[tuple[str, int | str | None]]:
    backends = [spec.get("defaultBackend") or spec.get("backend")]
    for rule in sequence(spec.get("rules")):
        for path in sequence(mapping(mapping(rule).get("http")).get("paths")):
            if isinstance(path, dict):
                backends.append(path.get("backend"))
    result: list[tuple[str, int | str | None]] = []
    for backend in backends:
        if not isinstance(backend, dict):
            continue
        service = backend.get("service")
        if isinstance(service, dict):
            port = service.get("port")
            wanted = None
            if isinstance(port, dict):
                wanted = port.get("number") if port.get("number") is not None else port.get("name")
            result.append((str(service.get("name")), wanted))
        elif backend.get("serviceName"):
            result.append((str(backend["serviceName"]), backend.get("servicePort")))
    return result
