-- wrk script for bench/http/run.py: connection churn, a new connection for every request.
-- Each request carries "Connection: close"; the server closes after answering and wrk
-- reconnects, so every request pays for connect/accept/close.
-- Same as: wrk -H 'Connection: close' ...  (run.py uses the -H form.)
wrk.headers["Connection"] = "close"
