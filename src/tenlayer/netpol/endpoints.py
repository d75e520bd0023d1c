"""The two ends of a connection: a class of pods, or an interval of external addresses.

Pods that share a namespace, pod labels and named ports are indistinguishable to every policy,
so the engine evaluates one `PodClass` per such group and copies the result to its workloads.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tenlayer.netpol.resources import NamedPort


@dataclass(frozen=True, slots=True, eq=False)
class PodClass:
    """Compared and hashed by identity: `Cluster.pod_class` makes one per class, so the
    engine's caches key on it at the cost of a pointer, not of its labels."""

    namespace: str
    namespace_labels: tuple[tuple[str, str], ...]
    labels: tuple[tuple[str, str], ...]
    ports: tuple[NamedPort, ...]
    addresses: tuple[int, ...]
    """Addresses on the secondary network being analysed (ipBlocks match them there)."""
    label_map: dict[str, str] = field(compare=False, hash=False, repr=False)
    namespace_label_map: dict[str, str] = field(compare=False, hash=False, repr=False)

    @staticmethod
    def make(namespace: str, namespace_labels: dict[str, str], labels: dict[str, str],
             ports: tuple[NamedPort, ...], addresses: tuple[int, ...] = ()) -> PodClass:
        return PodClass(namespace, tuple(sorted(namespace_labels.items())),
                        tuple(sorted(labels.items())), ports, addresses, dict(labels),
                        dict(namespace_labels))

    def named_port(self, name: str, protocol: str | None) -> NamedPort | None:
        """The container port of this name (and protocol, when the rule gives one)."""
        for port in self.ports:
            if port.name == name and (protocol is None or port.protocol == protocol):
                return port
        return None


@dataclass(frozen=True, slots=True, eq=False)
class ExternalRange:
    """Addresses outside the cluster, one interval of the split (see ipranges)."""

    interval: tuple[int, int]


Endpoint = PodClass | ExternalRange
