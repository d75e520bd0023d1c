"""OpenShift SecurityContextConstraints admission, evaluated offline (layer 5).

`SCCPolicy.admit(pod, requester, namespace)` tells which SCCs the requester and the pod's
service account may use, the order OpenShift tries them in, which one admits the pod and the
pod as admitted, or why each refused.
"""

from tenlayer.policy.scc.policy import SCCPolicy
from tenlayer.policy.scc.requester import Requester
from tenlayer.policy.scc.results import Admission, Refusal

__all__ = ["Admission", "Refusal", "Requester", "SCCPolicy"]
