// SparkPi as spark-shell runs it (`spark-shell -i`): the runtime images carry no examples jar.
// Prints `PROBE-PI <estimate>`; the probe checks it is within 0.1 of 3.14159.
val n = 400000
val inside = spark.sparkContext.parallelize(1 to n, 4).map { _ =>
  val x = math.random() * 2 - 1
  val y = math.random() * 2 - 1
  if (x * x + y * y <= 1) 1 else 0
}.reduce(_ + _)
println(s"PROBE-PI ${4.0 * inside / n}")
System.exit(0)
