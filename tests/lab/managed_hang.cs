// managed_hang.cs - a .NET Core 2.2 console app hung in managed waits.
//
//   holder    owns the monitor of a CoronerLab.LabLock, in Thread.Sleep(Infinite)
//             inside the lock                                   (LabHoldLock)
//   waiter    blocked in Monitor.Enter on that LabLock          (LabWaitForLock)
//   event     blocked in ManualResetEvent.WaitOne, never set    (LabWaitForEvent)
//   sleeper   in Thread.Sleep(Infinite)                         (LabSleep)
//   main      Thread.Join on the holder                         (Main)
//
// Writes managed_hang.facts (same format as the native scenarios; keys in
// README.md) and managed_hang.ready, then waits for ever.  Built by
// build-managed.sh with the SDK's csc.dll and run by dotnet.exe under Wine.
using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace CoronerLab
{
    // A class of our own, so the monitor's object is easy to find on the heap.
    sealed class LabLock
    {
        public readonly string Name;
        public LabLock(string name) { Name = name; }
    }

    static class ManagedHang
    {
        [DllImport("kernel32.dll")] static extern uint GetCurrentThreadId();
        [DllImport("kernel32.dll")] static extern uint GetCurrentProcessId();
        [DllImport("kernel32.dll", CharSet = CharSet.Unicode)] static extern IntPtr GetModuleHandleW(string name);
        [DllImport("kernel32.dll", CharSet = CharSet.Unicode)] static extern IntPtr GetCommandLineW();

        static readonly LabLock SessionLock = new LabLock("session");
        static readonly ManualResetEvent NeverSet = new ManualResetEvent(false);
        static readonly ManualResetEvent HolderHasLock = new ManualResetEvent(false);
        static readonly CountdownEvent Arrived = new CountdownEvent(4);
        static uint holderTid, waiterTid, eventTid, sleeperTid;

        [MethodImpl(MethodImplOptions.NoInlining)]
        static void LabHoldLock()
        {
            holderTid = GetCurrentThreadId();
            lock (SessionLock)
            {
                HolderHasLock.Set();
                Arrived.Signal();
                Thread.Sleep(Timeout.Infinite);
            }
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        static void LabWaitForLock()
        {
            waiterTid = GetCurrentThreadId();
            HolderHasLock.WaitOne();
            Arrived.Signal();
            Monitor.Enter(SessionLock);
            Monitor.Exit(SessionLock);
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        static void LabWaitForEvent()
        {
            eventTid = GetCurrentThreadId();
            Arrived.Signal();
            NeverSet.WaitOne();
        }

        [MethodImpl(MethodImplOptions.NoInlining)]
        static void LabSleep()
        {
            sleeperTid = GetCurrentThreadId();
            Arrived.Signal();
            Thread.Sleep(Timeout.Infinite);
        }

        static Thread Start(ThreadStart fn, string name)
        {
            var t = new Thread(fn) { Name = name, IsBackground = false };
            t.Start();
            return t;
        }

        static void Fact(StringBuilder facts, string key, object value)
        {
            facts.Append(key).Append('=').Append(value).Append('\n');
        }

        static void Role(StringBuilder facts, string role, uint tid, Thread t, string func, string wait)
        {
            Fact(facts, "tid." + role, tid);
            Fact(facts, "managed_id." + role, t.ManagedThreadId);
            Fact(facts, "managed_name." + role, t.Name);
            Fact(facts, "func." + role, "CoronerLab.ManagedHang." + func);
            Fact(facts, "wait." + role, wait);
        }

        static int Main()
        {
            Thread.CurrentThread.Name = "lab managed main";
            var holder = Start(LabHoldLock, "lab managed holder");
            var waiter = Start(LabWaitForLock, "lab managed waiter");
            var eventWaiter = Start(LabWaitForEvent, "lab managed event");
            var sleeper = Start(LabSleep, "lab managed sleeper");
            if (!Arrived.Wait(20000))
                throw new TimeoutException("lab threads did not reach their waits");
            // Monitor.Enter gives no sign that it has blocked: give it time to.
            Thread.Sleep(500);

            var facts = new StringBuilder();
            Fact(facts, "scenario", "managed_hang");
            Fact(facts, "pid", GetCurrentProcessId());
            Fact(facts, "exe", "dotnet.exe");
            Fact(facts, "image_base", "0x" + GetModuleHandleW(null).ToString("x"));
            Fact(facts, "ptr_size", IntPtr.Size);
            Fact(facts, "cmdline", Marshal.PtrToStringUni(GetCommandLineW()));
            Fact(facts, "runtime", "coreclr");
            Fact(facts, "clr_version", "2.2.2");
            Fact(facts, "assembly", "managed_hang.dll");
            Fact(facts, "threads.lab", 5);
            Role(facts, "main", GetCurrentThreadId(), Thread.CurrentThread, "Main", "thread_join");
            Role(facts, "holder", holderTid, holder, "LabHoldLock", "sleep");
            Role(facts, "waiter", waiterTid, waiter, "LabWaitForLock", "monitor");
            Role(facts, "event_waiter", eventTid, eventWaiter, "LabWaitForEvent", "event");
            Role(facts, "sleeper", sleeperTid, sleeper, "LabSleep", "sleep");
            Fact(facts, "monitor.type", typeof(LabLock).FullName);
            Fact(facts, "monitor.owner", holderTid);
            Fact(facts, "monitor.waiters", waiterTid);
            Fact(facts, "monitor.object_field", "CoronerLab.LabLock.Name=session");

            File.WriteAllText("managed_hang.facts.tmp", facts.ToString());
            File.Delete("managed_hang.facts");
            File.Move("managed_hang.facts.tmp", "managed_hang.facts");
            File.WriteAllText("managed_hang.ready", GetCurrentProcessId() + "\n");

            holder.Join();
            return 0;
        }
    }
}
