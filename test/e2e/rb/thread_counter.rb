# thread_counter.rb WORKDIR - ruby with a second thread counting: the
# thread writes 1, 2, 3, ... one a line to WORKDIR/seq (through a
# non-append fd), the main thread likewise into WORKDIR/main, both busy
# in between and now and then asleep, so that they contend for ruby's
# lock, then not: ruby's timer thread arms and disarms its POSIX timer (timer_create) to make them take turns; a
# restore that loses the timer kills ruby ("[ASYNC BUG] timer_settime
# (arm) EINVAL"), at the latest when a signal comes: SIGUSR1 is counted
# and acknowledged with "USR1 N" on stdout.
Dir.chdir(ARGV[0])
seq = File.open("seq", File::WRONLY | File::CREAT | File::TRUNC)
seq.sync = true
counter = Thread.new do
  n = 0
  loop do
    n += 1
    seq.write("#{n}\n")
    x = 0
    20_000.times { x += 1 }
    sleep 0.002 if (n % 20).zero?
  end
end
main = File.open("main", File::WRONLY | File::CREAT | File::TRUNC)
main.sync = true
STDOUT.sync = true
usr1 = 0
Signal.trap("USR1") do
  usr1 += 1
  STDOUT.write("USR1 #{usr1}\n")
end
STDOUT.write("READY pid=#{Process.pid}\n")
m = 0
loop do
  m += 1
  main.write("#{m}\n")
  x = 0
  20_000.times { x += 1 }
  sleep 0.002 if (m % 30).zero?
  raise "counter thread died" unless counter.alive?
end
