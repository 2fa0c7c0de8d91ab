#!/usr/bin/env python3
"""Opens N keep-alive connections to a proxy, sends one small GET on each, reads the
response, then keeps every connection open and idle until told to stop (stdin closes
or SECONDS pass). Prints "ready N" once all connections are idle.

Used by Benchmarks/idle-memory.sh to measure resident memory per idle connection."""
import asyncio
import sys

HOST, PORT, COUNT, SECONDS = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
REQUEST = b"GET /1k.bin HTTP/1.1\r\nHost: bench\r\n\r\n"


async def one(sem, conns):
    async with sem:
        reader, writer = await asyncio.open_connection(HOST, PORT)
        writer.write(REQUEST)
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        conns.append(writer)


async def main():
    conns = []
    sem = asyncio.Semaphore(256)
    await asyncio.gather(*(one(sem, conns) for _ in range(COUNT)))
    print(f"ready {len(conns)}", flush=True)
    loop = asyncio.get_running_loop()
    stop = loop.run_in_executor(None, sys.stdin.read)
    await asyncio.wait([stop], timeout=SECONDS)
    for w in conns:
        w.close()


asyncio.run(main())
