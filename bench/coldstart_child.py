"""One cold start, in a fresh interpreter (run by bench/coldstart.py; stdlib only before timing).

    coldstart_child.py function <module> <attr> <event.json> <result.json>
    coldstart_child.py baseline <result.json>

Times the handler module's import, the first invocation and a second (warm) one (wall
clock) and the CPU time of import and first invocation together (what the process
itself spent, whatever else the machine runs). Writes them as JSON with the top-level
packages the process loaded by then (listed after the timing; read by
tests/infrastructure/test_cold_path.py). The baseline times `import boto3;
boto3.client("dynamodb")` and one `list_tables` call: the least any function that
reads DynamoDB pays.
"""
import importlib
import json
import sys
import time


class LambdaContext:
    function_name = "bench-function"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench-function"
    aws_request_id = "bench-cold-start"

    def get_remaining_time_in_millis(self):
        return 15_000


def _ms(seconds):
    return round(seconds * 1000, 3)


def _count_calls():
    """Count AWS calls and client creations of the invocations.

    botocore is hooked only if the import already loaded it, so the hook never moves
    an import out of the timed import into the timed invocation.
    """
    if "botocore.client" not in sys.modules:
        return None, None
    calls, clients = {}, {}
    base = sys.modules["botocore.client"].BaseClient
    session = sys.modules["botocore.session"].Session
    original_call, original_create = base._make_api_call, session.create_client

    def counting_call(self, operation_name, api_params):
        key = f"{self.meta.service_model.service_name}.{operation_name}"
        calls[key] = calls.get(key, 0) + 1
        return original_call(self, operation_name, api_params)

    def counting_create(self, service_name, *args, **kwargs):
        clients[service_name] = clients.get(service_name, 0) + 1
        return original_create(self, service_name, *args, **kwargs)

    base._make_api_call = counting_call
    session.create_client = counting_create
    return calls, clients


def _packages():
    return sorted({name.split(".", 1)[0] for name in list(sys.modules)})


def _invoke(handler, event):
    start = time.perf_counter()
    error = None
    status = None
    try:
        result = handler(event, LambdaContext())
        if isinstance(result, dict):
            status = result.get("statusCode")
    except Exception as exc:  # reported, not hidden: the parent prints it
        error = f"{type(exc).__name__}: {exc}"[:200]
    return _ms(time.perf_counter() - start), status, error


def function(module_name, attr, event_path, result_path):
    with open(event_path) as f:
        event = json.load(f)
    cpu_start, start = time.process_time(), time.perf_counter()
    module = importlib.import_module(module_name)
    handler = getattr(module, attr)
    import_ms = _ms(time.perf_counter() - start)
    calls, clients = _count_calls()
    first_ms, status, error = _invoke(handler, event)
    cold_cpu_ms = _ms(time.process_time() - cpu_start)
    first_calls = dict(calls) if calls is not None else None
    first_clients = dict(clients) if clients is not None else None
    warm_ms, _, _ = _invoke(handler, event)
    with open(result_path, "w") as f:
        json.dump({"import_ms": import_ms, "first_ms": first_ms, "warm_ms": warm_ms, "cold_cpu_ms": cold_cpu_ms,
                   "status": status, "error": error, "first_calls": first_calls, "first_clients": first_clients,
                   "modules": len(sys.modules), "packages": _packages()}, f)


def baseline(result_path):
    cpu_start, start = time.process_time(), time.perf_counter()
    import boto3

    client = boto3.client("dynamodb")
    import_ms = _ms(time.perf_counter() - start)
    start = time.perf_counter()
    client.list_tables()
    first_ms = _ms(time.perf_counter() - start)
    cold_cpu_ms = _ms(time.process_time() - cpu_start)
    start = time.perf_counter()
    client.list_tables()
    warm_ms = _ms(time.perf_counter() - start)
    with open(result_path, "w") as f:
        json.dump({"import_ms": import_ms, "first_ms": first_ms, "warm_ms": warm_ms, "cold_cpu_ms": cold_cpu_ms,
                   "status": None, "error": None, "first_calls": {"dynamodb.ListTables": 1}, "first_clients": {},
                   "modules": len(sys.modules), "packages": _packages()}, f)


if __name__ == "__main__":
    if sys.argv[1] == "baseline":
        baseline(sys.argv[2])
    else:
        function(*sys.argv[2:6])
