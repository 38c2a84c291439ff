#!/usr/bin/python3
"""Reads a Prometheus text exposition on stdin with the reference parser
(python3-prometheus-client) and prints one line per sample: NAME{k=v,...} VALUE, labels
sorted, so shell tests can compare them with the database."""
import sys

from prometheus_client.parser import text_string_to_metric_families

for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
        value = s.value
        text = str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)
        print(f"{s.name}{{{labels}}} {text}")
