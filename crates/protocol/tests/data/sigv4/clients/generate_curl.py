"""Writes curl.json: raw requests signed by `curl --aws-sigv4` (libcurl's own SigV4 code),
captured by a one-shot listener on 127.0.0.1. Run: python3 generate_curl.py > curl.json
(needs curl >= 7.75 on PATH; it only talks to the local listener)."""
import json
import socket
import subprocess
import threading

AKID = "AKIAPROBEEXAMPLE0001"
SECRET = "probeSecretKeyExample/0001+abcdefghijklmn"


def capture(args):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    raw = {}

    def serve():
        conn, _ = server.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            body += conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        conn.close()
        raw["head"], raw["body"] = head.decode(), body.decode()

    thread = threading.Thread(target=serve)
    thread.start()
    url_args = [a.replace("PORT", str(port)) for a in args]
    subprocess.run(["curl", "-sS", "-o", "/dev/null", "--user", f"{AKID}:{SECRET}"] + url_args,
                   check=True)
    thread.join()
    server.close()
    lines = raw["head"].split("\r\n")
    method, target, _ = lines[0].split(" ")
    path, _, query = target.partition("?")
    headers = [[n, v.strip()] for n, _, v in (line.partition(":") for line in lines[1:])]
    return {"method": method, "path": path, "query": query, "headers": headers, "body": raw["body"]}


version = subprocess.run(["curl", "--version"], capture_output=True, text=True).stdout.split()[1]
vectors = []
for name, service, args in [
    ("POST form body (iam ListRoles)", "iam",
     ["--aws-sigv4", "aws:amz:us-east-1:iam", "-d", "Action=ListRoles&Version=2010-05-08&PathPrefix=%2Fa+b%2F",
      "http://127.0.0.1:PORT/"]),
    ("GET with a query string (sts, eu-west-1)", "sts",
     ["--aws-sigv4", "aws:amz:eu-west-1:sts",
      # Already sorted: curl 7.88 signs the query string in the order given (it does not
      # sort it as SigV4 requires), so an unsorted query would not verify here or at AWS.
      "http://127.0.0.1:PORT/?Action=GetCallerIdentity&Empty=&Tag=a%20b%2Bc~&Version=2011-06-15"]),
    ("POST with an extra signed header", "iam",
     ["--aws-sigv4", "aws:amz:us-east-1:iam", "-H", "X-Amz-Meta-Note:  two   spaces  ",
      "-H", "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
      "-d", "Action=GetUser&Version=2010-05-08", "http://127.0.0.1:PORT/"]),
]:
    vector = capture(args)
    vector.update(name=name, service=service)
    vectors.append(vector)

print(json.dumps({"generator": "curl " + version, "access_key_id": AKID,
                  "secret_access_key": SECRET, "vectors": vectors}, indent=1))
