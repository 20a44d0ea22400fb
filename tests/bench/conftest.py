"""The benchmark scripts are run by `make bench`, never collected by `make test`."""

collect_ignore_glob = ["*.py"]
