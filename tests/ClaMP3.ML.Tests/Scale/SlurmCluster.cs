using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ClaMP3.ML.Tests;

/// <summary>
/// A one-node Slurm cluster (Debian's slurm-wlm + munge) started in a private folder for one test: its own munge key
/// and socket, a slurm.conf with free ports, slurmctld and slurmd in the foreground as child processes. Dispose cancels
/// any job and stops the three daemons it started (by their process handles) and nothing else.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
internal sealed class SlurmCluster : IDisposable
{
    private readonly List<Process> _daemons = new();

    private SlurmCluster(string folder) { Folder = folder; ConfigPath = Path.Combine(folder, "slurm.conf"); }

    public string Folder { get; }
    public string ConfigPath { get; }

    /// <summary>Why this machine cannot run the cluster, or null when it can.</summary>
    public static string? Unavailable()
    {
        foreach (var tool in new[] { "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged", "/usr/bin/sbatch", "/usr/bin/sinfo", "/usr/bin/scancel" })
            if (!File.Exists(tool)) return $"{tool} is missing: install Debian's slurm-wlm and munge (apt-get install slurm-wlm munge; .ci/run does it as root).";
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root") return "the test cluster runs its daemons as root (SlurmUser=root); run as root.";
        return null;
    }

    /// <summary>Starts the cluster; throws <see cref="InvalidOperationException"/> with the daemons' logs when it does not come up.</summary>
    public static SlurmCluster Start(string folder)
    {
        var cluster = new SlurmCluster(folder);
        try { cluster.StartDaemons(); }
        catch { cluster.Dispose(); throw; }
        return cluster;
    }

    private void StartDaemons()
    {
        Directory.CreateDirectory(Path.Combine(Folder, "state"));
        Directory.CreateDirectory(Path.Combine(Folder, "spool"));
        string key = Path.Combine(Folder, "munge.key"), socket = Path.Combine(Folder, "munge.sock");
        File.WriteAllBytes(key, RandomNumberGenerator(1024));
        File.SetUnixFileMode(key, UnixFileMode.UserRead);
        Spawn("/usr/sbin/munged", "-F", "-f", "--key-file=" + key, "--socket=" + socket, "--pid-file=" + Path.Combine(Folder, "munged.pid"),
            "--log-file=" + Path.Combine(Folder, "munged.log"), "--seed-file=" + Path.Combine(Folder, "munged.seed"));
        for (int i = 0; i < 50 && !File.Exists(socket); i++) Thread.Sleep(100);
        if (!File.Exists(socket)) throw new InvalidOperationException("munged did not create its socket: " + Log("munged"));

        string host = Environment.MachineName;
        File.WriteAllText(ConfigPath, $"""
            ClusterName=clamp3test
            SlurmctldHost={host}(127.0.0.1)
            SlurmUser=root
            SlurmdUser=root
            SlurmctldPort={FreePort()}
            SlurmdPort={FreePort()}
            AuthType=auth/munge
            CredType=cred/munge
            AuthInfo=socket={socket}
            StateSaveLocation={Folder}/state
            SlurmdSpoolDir={Folder}/spool
            SlurmctldPidFile={Folder}/slurmctld.pid
            SlurmdPidFile={Folder}/slurmd.pid
            SlurmctldLogFile={Folder}/slurmctld.log
            SlurmdLogFile={Folder}/slurmd.log
            ProctrackType=proctrack/linuxproc
            TaskPlugin=task/none
            SchedulerType=sched/builtin
            SelectType=select/cons_tres
            SelectTypeParameters=CR_CPU
            ReturnToService=2
            MpiDefault=none
            JobCompType=jobcomp/none
            AccountingStorageType=accounting_storage/none
            JobAcctGatherType=jobacct_gather/none
            MailProg=/bin/true
            NodeName={host} NodeAddr=127.0.0.1 CPUs={Environment.ProcessorCount} State=UNKNOWN
            PartitionName=test Nodes=ALL Default=YES MaxTime=30 State=UP

            """);
        Spawn("/usr/sbin/slurmctld", "-D", "-f", ConfigPath);
        Spawn("/usr/sbin/slurmd", "-D", "-f", ConfigPath);
        // Bounded by attempts: the node must report idle.
        for (int attempt = 0; attempt < 60; attempt++)
        {
            var (code, output, _) = Run("/usr/bin/sinfo", "-h", "-o", "%t");
            if (code == 0 && output.Trim() == "idle") return;
            if (_daemons.Any(d => d.HasExited)) break;
            Thread.Sleep(1000);
        }
        throw new InvalidOperationException($"the Slurm node did not become idle. slurmctld: {Log("slurmctld")} slurmd: {Log("slurmd")}");
    }

    private static byte[] RandomNumberGenerator(int n) => System.Security.Cryptography.RandomNumberGenerator.GetBytes(n);

    private string Log(string name)
    {
        string file = Path.Combine(Folder, name + ".log");
        return File.Exists(file) ? string.Join(" | ", File.ReadLines(file).TakeLast(5)) : "(no log)";
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Spawn(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["SLURM_CONF"] = ConfigPath;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _daemons.Add(process);
    }

    /// <summary>Runs a Slurm client (sbatch, sinfo…) against this cluster.</summary>
    public ChildProcessResult Run(string file, params string[] args) =>
        ChildProcess.Run(file, args, environment: new Dictionary<string, string> { ["SLURM_CONF"] = ConfigPath });

    public void Dispose()
    {
        if (_daemons.Count > 2 && !_daemons[1].HasExited) Run("/usr/bin/scancel", "--user=root");
        // Stop slurmd, then slurmctld, then munged: the reverse of their start.
        for (int i = _daemons.Count - 1; i >= 0; i--)
        {
            var d = _daemons[i];
            try
            {
                if (!d.HasExited)
                {
                    d.Kill(entireProcessTree: true);
                    d.WaitForExit(10_000);
                }
            }
            catch (InvalidOperationException) { }
            d.Dispose();
        }
        _daemons.Clear();
    }
}
