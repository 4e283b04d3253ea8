# The worker agent (`orchestrator-worker`): built with the SDK, run on the ASP.NET runtime image
# (Debian slim: the process executor runs apps that may need a shell), as an unprivileged user.
#   docker build -f docker/worker.Dockerfile -t orchestrator/worker .
ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/*/*.csproj ./src-projects/
RUN for p in src-projects/*.csproj; do n=$(basename "$p" .csproj); mkdir -p "src/$n" && mv "$p" "src/$n/"; done
RUN dotnet restore src/Orchestrator.Worker/Orchestrator.Worker.csproj
COPY src/ src/
RUN dotnet publish src/Orchestrator.Worker/Orchestrator.Worker.csproj -c Release --no-restore -o /app /p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime
WORKDIR /app
COPY --from=build /app ./
RUN mkdir -p /var/lib/orchestrator-worker && chown "$APP_UID" /var/lib/orchestrator-worker
ENV OrchestratorWorker__ScratchDirectory=/var/lib/orchestrator-worker
VOLUME /var/lib/orchestrator-worker
USER $APP_UID
# The agent serves no port: healthy while its process runs or sleeps (not a zombie or stopped);
# a lost session is the cluster's concern (the worker grain declares it lost and re-dispatches).
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["/bin/sh", "-c", "grep -Eq '^State:[[:space:]]+[RS]' /proc/1/status"]
# SIGTERM drains: the agent finishes or gives back what it holds (OrchestratorWorker:DrainGracePeriod).
STOPSIGNAL SIGTERM
ENTRYPOINT ["dotnet", "/app/orchestrator-worker.dll"]
