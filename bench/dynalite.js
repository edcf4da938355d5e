// dynalite in memory on HOST:PORT (argv), for the big-table benchmark. Prints its endpoint once it
// listens; exits when its standard input closes (the benchmark holds the other end).
// dynalite rethrows the error of a request whose client went away (a worker killed mid-request),
// which would end the whole server: such a request is dropped instead, as DynamoDB drops it.
const dynalite = require('dynalite')

process.on('uncaughtException', (err) => {
  if (err.code === 'ECONNRESET') return
  console.error(err)
  process.exit(1)
})

const [host, port] = process.argv.slice(2)
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
server.listen(Number(port), host, () => {
  console.log(`http://${host}:${server.address().port}`)
})
process.stdin.on('end', () => process.exit(0))
process.stdin.resume()
