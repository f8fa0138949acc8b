# Read by gunicorn from the working directory (Dockerfile, docker-compose, make fuzz/loadtest).

# gunicorn answers a request line over 4094 bytes with its own HTML 414, before Django can give the
# contract's JSON error. Long query strings are Django's to judge (it answers 422 for bad values), and
# the line is still bounded by the proxy in front and by limit_request_field_size for headers.
limit_request_line = 0


def child_exit(server, worker):
    # prometheus-client's multiprocess mode: a dead worker's live gauges must stop counting (leadsy/metrics.py).
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
