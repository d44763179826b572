"""Inventory (정수점검 + 상태검사): stock-taking campaigns, scans, expected-vs-found results,
condition findings and their follow-up tasks."""
